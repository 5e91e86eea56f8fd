/**
 * Scheduling: a snapshot of the live state goes to the pure `schedule()` (head/scheduler/), and
 * each pick becomes a run: its `assign` transition, a lease, a record in the run journal that is
 * durable before the `assign` message leaves.
 */
import type { Job } from '../../shared/job/state.ts';
import { isActive } from '../../shared/job/state.ts';
import { hashRunKey, newRunKey } from '../../shared/job/run-id.ts';
import type { Store } from '../store/store.ts';
import type { BatchHeader } from '../../shared/protocol/messages.ts';
import type { BatchDoc, RunRecord } from '../state/types.ts';
import { planDrain, schedule, type Drain } from '../scheduler/schedule.ts';
import type { SchedulerState } from '../scheduler/types.ts';
import { schedulerSnapshot } from '../scheduler/snapshot.ts';
import type { BatchBook } from './batch-book.ts';
import { RecentRunTimes } from './recent-run-times.ts';
import type { HeadEventBus } from './events.ts';
import { linkOf } from './live-node.ts';
import type { NodeRegistry } from './node-registry.ts';
import type { Lease, RunLeases } from './run-leases.ts';

export interface DispatchDeps {
  book: BatchBook;
  registry: NodeRegistry;
  leases: RunLeases;
  store: Store;
  events: HeadEventBus;
  now: () => number;
  log: (line: string) => void;
  /** Draws run ids (random, see shared/job/run-id.ts). */
  newRunId: () => string;
  /**
   * Why no new job may be assigned now, given the bytes of results still to come (the archive
   * disk is full or below --min-free-disk), or null.
   */
  assignHold?: (pendingResultBytes: number) => string | null;
  /** Bytes of results that runs whose processes ended have still to upload (run-reports.ts). */
  pendingResultBytes: () => number;
}

export class Dispatch {
  private scheduled = false;
  /**
   * The batch header each `assign` of a batch carries, made once per batch (a batch's spec, id and
   * owner never change): copying the spec's fields for every assign was most of its cost.
   */
  private readonly headers = new WeakMap<BatchDoc, BatchHeader>();
  /** The node drained for a big job, kept from one scheduling call to the next (see `planDrain`). */
  private drain: Drain | null = null;
  /** Which batches run short jobs (their nodes may take one in hand). */
  private readonly runTimes = new RecentRunTimes();

  constructor(private readonly deps: DispatchDeps) {
    deps.events.on('job:finished', (e) => {
      const doc = deps.book.batches.get(e.batchId);
      const s = doc?.jobs[deps.book.position(doc, e.job)]?.status;
      if (s?.state === 'done' && s.runId === e.runId && s.runMs !== undefined) this.runTimes.note(e.batchId, s.runMs);
    });
    deps.events.on('batch:ended', (e) => this.runTimes.forget(e.batchId));
  }

  /** Callbacks for the end of the next scheduling pass (see {@link afterNextPass}). */
  private passWaiters: (() => void)[] = [];

  /** Run the scheduler once the current event is handled (many calls, one run). */
  scheduleSoon(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const waiters = this.passWaiters;
      this.passWaiters = [];
      let sent: Promise<void> | undefined;
      try {
        sent = this.run();
      } finally {
        const done = () => { for (const fn of waiters) fn(); };
        if (sent) void sent.then(done, (err: unknown) => { done(); throw err; });
        else done();
      }
    });
  }

  /**
   * Call `fn` once the next scheduling pass is over: its `assign`s sent (after the run journal's
   * write), or none made. Schedules a pass. The agent hub holds a `result-ack` until then, so it
   * leaves in one socket write with the node's next `assign` (docs/benchmarks.md).
   */
  afterNextPass(fn: () => void): void {
    this.passWaiters.push(fn);
    this.scheduleSoon();
  }

  /** Snapshot of what the pure scheduler needs (after a restart without the jobs that wait for their node). */
  state(): SchedulerState {
    const held = this.deps.registry.recovering() ? (batchId: string, job: string) => this.deps.registry.mayBeHeldByAbsent(batchId, job) : undefined;
    return schedulerSnapshot(this.deps.book.batches, (doc) => this.deps.book.index(doc), this.deps.registry.nodes.values(), held, (id) => this.runTimes.short(id));
  }

  /**
   * Assign what the scheduler picks. The new runs are written to the run journal before any
   * `assign` goes out, so a head killed at any moment still knows every run an agent holds.
   * Resolves once those `assign`s are sent (or the record failed); undefined when none were made.
   */
  run(): Promise<void> | undefined {
    if (this.deps.assignHold?.(this.deps.pendingResultBytes())) return; // status says why
    const state = this.state();
    if (!state.batches.length || !state.nodes.some((n) => n.accepting)) return;
    state.drain = this.drain = planDrain(state, this.drain);
    const granted: { record: RunRecord; lease: Lease; key: string; doc: BatchDoc; index: number }[] = [];
    for (const a of schedule(state)) {
      const doc = this.deps.book.batches.get(a.batchId);
      const node = this.deps.registry.nodes.get(a.nodeId);
      const link = node && linkOf(node);
      if (!doc || !node || !link) continue;
      const index = this.deps.book.position(doc, a.job);
      const runId = this.deps.newRunId();
      if (!this.deps.book.apply(doc, index, { type: 'assign', node: a.nodeId, runId, now: this.deps.now() })) continue;
      const status = doc.jobs[index].status as Extract<Job['status'], { state: 'assigned' }>;
      node.runs.set(runId, { runId, batchId: doc.record.id, job: a.job, attempt: status.attempt, ...(a.ahead ? { ahead: true } : {}) });
      const key = newRunKey();
      const record: RunRecord = { runId, batchId: doc.record.id, job: a.job, node: a.nodeId, attempt: status.attempt, keyHash: hashRunKey(key), at: this.deps.now() };
      granted.push({ record, lease: this.deps.leases.grant(record, link), key, doc, index });
    }
    if (!granted.length) return;
    return this.deps.store.recordRuns(granted.map((g) => g.record)).then(() => {
      for (const { lease, key, doc, index } of granted) this.sendAssign(lease, key, doc, index);
    }, (err: Error) => {
      this.deps.log(`recording ${granted.length} run(s) failed: ${err.message}; jobs re-queued`);
      for (const { lease, doc, index } of granted) {
        this.deps.leases.end(lease.runId);
        this.deps.registry.nodes.get(lease.node)?.runs.delete(lease.runId);
        this.deps.book.requeue(doc, index, lease.runId, 'could not record the run');
      }
    });
  }

  private headerOf(doc: BatchDoc): BatchHeader {
    let header = this.headers.get(doc);
    if (!header) {
      const { jobs: _jobs, ...rest } = doc.spec;
      header = { ...rest, id: doc.record.id, owner: doc.record.owner };
      this.headers.set(doc, header);
    }
    return header;
  }

  private sendAssign(lease: Lease, key: string, doc: BatchDoc, index: number): void {
    const s = doc.jobs[index].status;
    // Cancelled, lost or re-queued while the record was written: the node never hears of it.
    if (lease.ended || !isActive(s) || s.runId !== lease.runId) return;
    const ahead = this.deps.registry.nodes.get(lease.node)?.runs.get(lease.runId)?.ahead === true;
    lease.link?.send({
      type: 'assign', runId: lease.runId, runKey: key, batchId: doc.record.id, job: lease.job, attempt: lease.attempt,
      batch: this.headerOf(doc), spec: doc.spec.jobs[index], ...(ahead ? { ahead } : {}),
    });
    this.deps.events.emit('job:assigned', { batchId: doc.record.id, job: lease.job, node: lease.node, runId: lease.runId, attempt: lease.attempt });
  }
}
