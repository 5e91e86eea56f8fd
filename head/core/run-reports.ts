/**
 * What agents report about their runs besides the end (finish-run.ts): started, paused, resumed,
 * processes exited, output, handed back or rejected; and where a run's result uploads may go.
 * Each message about a run is taken only from the connection holding its lease (run-leases.ts);
 * every job change is a `transition()` event through the batch book.
 */
import { isActive } from '../../shared/job/state.ts';
import type { Archive } from '../archive/archive.ts';
import type { BatchDoc } from '../state/types.ts';
import type { BatchBook } from './batch-book.ts';
import type { HeadEventBus } from './events.ts';
import type { LiveLogs } from './live-logs.ts';
import type { LiveNode, Sender } from './live-node.ts';
import type { Lease, LeaseResult, RunLeases } from './run-leases.ts';

/** Default of {@link RunReportsDeps.maxHandBacks}: a node loss does not count. */
export const DEFAULT_MAX_HAND_BACKS = 3;

export interface RunReportsDeps {
  book: BatchBook;
  leases: RunLeases;
  /** The registry's live nodes by name (what each holds). */
  nodes: Map<string, LiveNode>;
  events: HeadEventBus;
  logs: LiveLogs;
  /** Only to drop a rejected run's staging (a fake in unit tests). */
  archive: Pick<Archive, 'discardStaging'>;
  now: () => number;
  log: (line: string) => void;
  scheduleSoon: () => void;
  /** A job handed back or rejected this many times is failed. */
  maxHandBacks: number;
}

export class RunReports {
  constructor(private readonly deps: RunReportsDeps) {}

  /** The batch and job position of a leased run, or null when the head does not know the job. */
  private locate(lease: Lease): { doc: BatchDoc; index: number } | null {
    const doc = this.deps.book.batches.get(lease.batchId);
    const index = doc ? this.deps.book.position(doc, lease.job) : -1;
    return doc && index >= 0 ? { doc, index } : null;
  }

  /** The run's job started (after download and build). */
  started(from: Sender, runId: string): void {
    const lease = this.deps.leases.check(from, runId, 'job-started');
    // A job in hand started: a run like any other from now on. (The scheduler counted it started
    // already, once it fitted: scheduler/snapshot.ts nodeLoad.)
    const held = lease ? this.deps.nodes.get(from.node)?.runs.get(runId) : undefined;
    if (held) delete held.ahead;
    const at = lease && this.locate(lease);
    if (lease && at && this.deps.book.apply(at.doc, at.index, { type: 'start', runId, now: this.deps.now() }))
      this.deps.events.emit('job:started', { batchId: lease.batchId, job: lease.job, node: lease.node, runId, attempt: lease.attempt });
  }

  /** The node paused the run's processes (until `until`, null: until resumed). */
  paused(from: Sender, runId: string, until: number | null): void {
    const lease = this.deps.leases.check(from, runId, 'job-paused');
    const at = lease && this.locate(lease);
    if (at) this.deps.book.apply(at.doc, at.index, { type: 'pause', runId, until, now: this.deps.now() });
  }

  /** The node continued the run's processes. */
  resumed(from: Sender, runId: string): void {
    const lease = this.deps.leases.check(from, runId, 'job-resumed');
    const at = lease && this.locate(lease);
    if (at) this.deps.book.apply(at.doc, at.index, { type: 'resume', runId, now: this.deps.now() });
  }

  /**
   * The run's processes ended (`job-exited`); its results (`bytes`) are still to come. Its share of
   * the node is free from now on, so the node's next job starts while this result is uploaded and
   * archived; the node keeps holding the run (a node lost now still re-queues it) until its report
   * is settled.
   */
  exited(from: Sender, runId: string, bytes: number): void {
    if (!this.deps.leases.check(from, runId, 'job-exited')) return;
    const held = this.deps.nodes.get(from.node)?.runs.get(runId);
    if (!held || held.exited) return;
    held.exited = { bytes };
    this.deps.scheduleSoon();
  }

  /** Bytes of results that runs whose processes ended have still to upload or archive. */
  pendingResultBytes(): number {
    let bytes = 0;
    for (const n of this.deps.nodes.values()) for (const r of n.runs.values()) bytes += r.exited?.bytes ?? 0;
    return bytes;
  }

  /**
   * Output of a run: kept (see `live-logs.ts`) and announced only while that run is the job's
   * current one (attempt numbers only grow, the run journal sees to it).
   */
  log(from: Sender, runId: string, stream: 'stdout' | 'stderr', data: string): void {
    const lease = this.deps.leases.check(from, runId, 'job-log');
    const at = lease && this.locate(lease);
    const s = at?.doc.jobs[at.index].status;
    if (!lease || !s || !isActive(s) || s.runId !== runId) return;
    if (this.deps.logs.append(lease.batchId, lease.job, lease.attempt, stream, data))
      this.deps.events.emit('job:log', { batchId: lease.batchId, job: lease.job, runId, attempt: lease.attempt, stream, data });
  }

  /**
   * The node refused or gave back the run (busy, stopping, inputs missing...): see {@link handBack}.
   * A job in hand the node gives back `unstarted` (it paused or stops) is not counted against the
   * job, but only while the head still knows the run as in hand (no job-started came).
   */
  rejected(from: Sender, runId: string, reason: string, unstarted = false): void {
    const lease = this.deps.leases.check(from, runId, 'job-rejected');
    if (!lease) return;
    this.deps.leases.end(runId);
    const node = this.deps.nodes.get(from.node);
    const counted = !(unstarted && node?.runs.get(runId)?.ahead === true);
    node?.runs.delete(runId);
    const at = this.locate(lease);
    if (at) this.handBack(at.doc, at.index, from.node, runId, reason, counted);
    void this.deps.archive.discardStaging(lease.batchId, runId).catch(() => {});
    this.deps.scheduleSoon();
  }

  /**
   * Where an upload by `node` with `key` into run `runId` may go: the run's lease when the run is
   * that node's, the key is the run's, and the run is not over (the route logs a refusal).
   */
  uploadLease(runId: string, key: string | undefined, node: string): LeaseResult {
    const r = this.deps.leases.checkKey(runId, key);
    if (!r.ok) return r;
    if (r.lease.node !== node) return { ok: false, reason: `the run belongs to node ${r.lease.node}` };
    const doc = this.deps.book.batches.get(r.lease.batchId);
    const index = doc ? this.deps.book.position(doc, r.lease.job) : -1;
    if (!doc || index < 0 || doc.jobs[index].status.state === 'done') return { ok: false, reason: 'the job is already done' };
    return r;
  }

  /**
   * Run `runId` of the job was handed back or rejected: re-queue it, or fail it on the
   * `maxHandBacks`-th time (see the `hand-back` transition).
   */
  private handBack(doc: BatchDoc, index: number, node: string, runId: string, reason: string, counted = true): void {
    const before = doc.jobs[index].status;
    const attempt = isActive(before) ? before.attempt : 0;
    const maxHandBacks = this.deps.maxHandBacks;
    if (!this.deps.book.apply(doc, index, { type: 'hand-back', runId, now: this.deps.now(), reason, maxHandBacks, ...(counted ? {} : { counted }) })) return;
    const job = doc.jobs[index];
    const ref = { batchId: doc.record.id, job: job.name, node, runId };
    if (job.status.state === 'done') {
      this.deps.log(`job ${doc.record.namespace}/${doc.record.name}/${job.name} failed: handed back or rejected ${job.handBacks} times (last by ${node}: ${reason})`);
      this.deps.events.emit('job:finished', { ...ref, attempt, result: job.status.result, archived: false });
      this.deps.book.checkEnd(doc);
    } else {
      this.deps.events.emit('job:requeued', { ...ref, reason: `rejected: ${reason}` });
    }
  }
}
