/**
 * JSON views of the cluster for the HTTP API (`status`, `nodes`, a batch's jobs), built as the
 * contract's types (shared/api/head-api.ts). The CLI prints these; `--json` passes them through.
 */
import type { BatchView, JobView, NodeView, RunningJob } from '../../shared/api/head-api.ts';
import { isActive, type Job } from '../../shared/job/state.ts';
import type { BatchDoc } from '../state/types.ts';
import { submittedAtOf } from '../state/batch-record.ts';
import type { Cluster } from './cluster.ts';
import { countOutcomes } from './batch-book.ts';
import type { JobCounts } from './job-index.ts';
import { capacityOf, freeCapacity, type Capacity } from '../../shared/batch/request.ts';
import { nodeUsage, shareOfRun } from '../scheduler/snapshot.ts';
import { nodeState } from './live-node.ts';

/** A batch's summary; `counts` from its job index when the caller has it (else counted here). */
export function batchView(doc: BatchDoc, counts: JobCounts = countOutcomes(doc.jobs)): BatchView {
  const r = doc.record;
  return {
    id: r.id, namespace: r.namespace, name: r.name, owner: r.owner, kind: doc.spec.kind, phase: r.phase,
    outcome: r.phase === 'ended' ? r.outcome : null, createdAt: r.createdAt, submittedAt: submittedAtOf(r),
    endedAt: r.phase === 'ended' ? r.endedAt : null, total: doc.jobs.length, counts,
    capabilities: doc.spec.capabilities, resources: doc.spec.resources,
    buildFailures: Object.fromEntries(Object.entries(r.buildFailures).map(([n, log]) => [n, log.slice(-2000)])),
  };
}

export function jobView(job: Job, now: number): JobView {
  const s = job.status;
  const base = { name: job.name, attempts: job.attempts, retries: job.retries };
  switch (s.state) {
    case 'queued': return { ...base, state: s.state, since: s.since };
    case 'assigned': return { ...base, state: s.state, node: s.node, attempt: s.attempt, assignedAt: s.at };
    case 'running': return { ...base, state: s.state, node: s.node, attempt: s.attempt, startedAt: s.startedAt, runMs: Math.max(0, now - s.startedAt - s.pausedMs) };
    case 'paused': return { ...base, state: s.state, node: s.node, attempt: s.attempt, startedAt: s.startedAt, pausedAt: s.pausedAt, pausedUntil: s.until, runMs: Math.max(0, s.pausedAt - s.startedAt - s.pausedMs) };
    case 'done': return { ...base, state: s.state, node: s.node, attempt: s.attempt, outcome: s.result.outcome, result: s.result, startedAt: s.startedAt, endedAt: s.endedAt, runMs: s.runMs };
  }
}

/** Memory in GiB with one decimal, for views. */
const gib = (bytes: number): number => Math.floor((bytes / 1024 ** 3) * 10) / 10;
const capacityView = (c: Capacity) => ({ cpus: c.cpus, memoryGb: gib(c.memoryBytes), gpus: c.gpus });

/**
 * Every node with every run it holds (`runs`; `current` is the first, for older clients), what it
 * offers (`capacity`) and what is left of it (`free`). `visible` (default all) says which batches
 * the caller may read: runs of any other batch are left out of `runs` (the node still shows as busy
 * and they still count against `free`), so private batch and job names stay private.
 */
export function nodeViews(cluster: Cluster, visible: (doc: BatchDoc) => boolean = () => true): NodeView[] {
  const index = (doc: BatchDoc) => cluster.book.index(doc);
  const busy = new Set<string>();
  for (const doc of cluster.book.batches.values()) {
    for (const i of index(doc).activePositions()) {
      const s = doc.jobs[i].status;
      if (isActive(s)) busy.add(s.node);
    }
  }
  return [...cluster.registry.nodes.values()].map((n) => {
    const capacity = capacityOf(n.record.capabilities);
    const runs = [...n.runs.values()].flatMap((run) => {
      const doc = cluster.book.batches.get(run.batchId);
      if (!doc || !visible(doc)) return [];
      const i = index(doc).position(run.job);
      const s = i >= 0 ? doc.jobs[i].status : null;
      const official = s !== null && isActive(s) && s.node === n.record.name && s.runId === run.runId;
      const share = shareOfRun(doc, run.job, index);
      return [{
        runId: run.runId, batchId: run.batchId, batch: doc.record.name, namespace: doc.record.namespace, job: run.job, attempt: run.attempt,
        state: official ? s.state : 'stray',
        request: share ? { cpus: share.cpus, memoryGb: gib(share.memoryBytes), gpus: share.gpus } : null,
      }];
    });
    const usage = nodeUsage(n, cluster.book.batches, index);
    return {
      name: n.record.name,
      state: nodeState(n, busy.has(n.record.name)),
      owner: n.record.owner,
      capabilities: n.record.capabilities,
      lastSeen: n.record.lastSeen,
      paused: n.record.paused,
      agentVersion: n.record.agentVersion,
      capacity: capacityView(capacity),
      free: capacityView(freeCapacity(capacity, usage)),
      runs,
      current: runs[0] ?? null,
    };
  });
}

/** Jobs running now, of the batches `visible` accepts (default all). */
export function runningJobs(cluster: Cluster, now: number, visible: (doc: BatchDoc) => boolean = () => true): RunningJob[] {
  const out: RunningJob[] = [];
  for (const doc of cluster.book.batches.values()) {
    if (doc.record.phase !== 'active' || !visible(doc)) continue;
    // Only the jobs nodes hold (the index's), in the batch's order, not every job of the batch.
    for (const i of cluster.book.index(doc).activePositions().sort((a, b) => a - b)) {
      const job = doc.jobs[i];
      if (!isActive(job.status)) continue;
      out.push({ batchId: doc.record.id, namespace: doc.record.namespace, batch: doc.record.name, owner: doc.record.owner, ...jobView(job, now) });
    }
  }
  return out;
}
