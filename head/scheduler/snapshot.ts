/**
 * What the pure scheduler sees of the head's live state: accepting nodes with what their runs
 * occupy and what they built or failed to build, active batches with their first queued jobs and
 * their shares, and cores held per owner.
 */
import type { BatchDoc } from '../state/types.ts';
import type { JobIndex } from '../core/job-index.ts';
import { isAccepting, type LiveNode } from '../core/live-node.ts';
import { isActive } from '../../shared/job/state.ts';
import { addUsage, capacityOf, coresOf, fits, freeCapacity, jobShare, NO_USAGE, type Share, type Usage } from '../../shared/batch/request.ts';
import type { SchedulerBatch, SchedulerState } from './types.ts';

/** The share of job `name` of a batch (null: the whole node, or an unknown job). */
export function shareOfRun(doc: BatchDoc | undefined, name: string, indexOf: (doc: BatchDoc) => JobIndex): Share | null {
  if (!doc) return null;
  const i = indexOf(doc).position(name);
  return i < 0 ? null : jobShare(doc.spec, doc.spec.jobs[i]);
}

/** What a node's runs occupy, and how many of its jobs in hand still wait for room. */
export interface NodeLoad {
  usage: Usage;
  waiting: number;
}

/**
 * What the runs a node holds occupy (the official ones and strays from before it was lost). A run
 * whose processes ended (its results still uploading or being archived) occupies nothing. A job
 * in hand (assigned ahead, not started) occupies its share once that fits beside the others, and
 * counts as started from then on: the agent starts it the moment it fits, so that room is not
 * offered to another job, and the node may take its next job in hand without waiting for the
 * `job-started` of this one. Until it fits it occupies nothing and is `waiting`.
 */
export function nodeLoad(node: LiveNode, batches: Map<string, BatchDoc>, indexOf: (doc: BatchDoc) => JobIndex): NodeLoad {
  const capacity = capacityOf(node.record.capabilities);
  let usage = NO_USAGE;
  const ahead: (Share | null)[] = [];
  for (const run of node.runs.values()) {
    if (run.exited) continue;
    const share = shareOfRun(batches.get(run.batchId), run.job, indexOf);
    if (run.ahead) ahead.push(share);
    else usage = addUsage(usage, share, capacity);
  }
  let waiting = 0;
  for (const share of ahead) {
    if (fits(capacity, usage, share)) usage = addUsage(usage, share, capacity);
    else waiting++;
  }
  return { usage, waiting };
}

/** What the runs a node holds occupy (see {@link nodeLoad}). */
export function nodeUsage(node: LiveNode, batches: Map<string, BatchDoc>, indexOf: (doc: BatchDoc) => JobIndex): Usage {
  return nodeLoad(node, batches, indexOf).usage;
}

/**
 * `held` (after a head restart) names queued jobs a node not yet back may still run: they are
 * left out, so they wait for that node while the others are scheduled.
 */
export function schedulerSnapshot(batchMap: Map<string, BatchDoc>, indexOf: (doc: BatchDoc) => JobIndex, liveNodes: Iterable<LiveNode>, held?: (batchId: string, job: string) => boolean, short?: (batchId: string) => boolean): SchedulerState {
  const active = [...batchMap.values()].filter((doc) => doc.record.phase === 'active');
  const buildFailed = new Map<string, string[]>();
  for (const doc of active) {
    for (const node of Object.keys(doc.record.buildFailures)) buildFailed.set(node, [...(buildFailed.get(node) ?? []), doc.record.id]);
  }
  const live = [...liveNodes];
  const nodes = live.map((n) => {
    const load = nodeLoad(n, batchMap, indexOf);
    return {
      id: n.record.name,
      capabilities: n.record.capabilities,
      accepting: isAccepting(n),
      usage: load.usage,
      built: n.record.built,
      buildFailed: buildFailed.get(n.record.name) ?? [],
      lastBatch: n.record.lastBatch,
      ahead: n.takesAhead === true && load.waiting === 0,
    };
  });
  // Every assignment takes at least one free core, so one call hands out at most this many jobs;
  // each batch needs to show only that many (and at least its first, for the drain rule).
  // (Plus one per node that may take a job in hand.)
  const slots = Math.max(1, nodes.filter((n) => n.accepting).reduce((sum, n) => sum + freeCapacity(capacityOf(n.capabilities), n.usage).cpus + (n.ahead ? 1 : 0), 0));
  const coresByNode = new Map(live.map((n) => [n.record.name, capacityOf(n.record.capabilities)]));
  const runningByOwner: Record<string, number> = {};
  const out: SchedulerBatch[] = [];
  for (const doc of active) {
    const index = indexOf(doc);
    for (const i of index.activePositions()) {
      const s = doc.jobs[i].status;
      if (!isActive(s)) continue;
      const capacity = coresByNode.get(s.node) ?? { cpus: 1, memoryBytes: 0, gpus: 0 };
      const owner = doc.record.owner;
      runningByOwner[owner] = (runningByOwner[owner] ?? 0) + coresOf(jobShare(doc.spec, doc.spec.jobs[i]), capacity);
    }
    if (!index.queuedCount() || !nodes.some((n) => n.accepting)) continue;
    const queued = held
      ? index.firstQueued(index.queuedCount()).filter((job) => !held(doc.record.id, job)).slice(0, slots)
      : index.firstQueued(slots);
    if (!queued.length) continue;
    const batch: SchedulerBatch = {
      id: doc.record.id, owner: doc.record.owner, createdAt: doc.record.phase === 'uploading' ? doc.record.createdAt : doc.record.submittedAt,
      capabilities: doc.spec.capabilities, resources: doc.spec.resources, share: jobShare(doc.spec, {}), queued,
    };
    if (short?.(doc.record.id)) batch.short = true;
    const own = queued.filter((name) => doc.spec.jobs[index.position(name)]?.request);
    if (own.length) batch.jobShares = Object.fromEntries(own.map((name) => [name, jobShare(doc.spec, doc.spec.jobs[index.position(name)])]));
    out.push(batch);
  }
  return { nodes, batches: out, runningByOwner };
}
