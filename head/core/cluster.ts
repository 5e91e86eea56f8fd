/**
 * The head's cluster model: batches with their jobs, nodes with what they hold, and every change
 * to them. Agent sessions, HTTP routes and timers call in here; job states change only through
 * `transition()` (in the batch book). The scheduler is a pure function called from `runSchedule()`.
 *
 * The parts live in their own modules: `batch-book.ts` (batches and job changes),
 * `batch-commands.ts` (create, submit, kill, remove), `node-registry.ts` (nodes, hello, timeouts,
 * the wait after a restart) and `finish-run.ts` (finished runs and the archive). This class wires
 * them together and handles the remaining agent reports and scheduling.
 */
import type { BatchSpec } from '../../shared/batch/spec.ts';
import type { Hello } from '../../shared/protocol/messages.ts';
import type { Job } from '../../shared/job/state.ts';
import { isActive } from '../../shared/job/state.ts';
import { hashRunKey, newRunId, newRunKey } from '../../shared/job/run-id.ts';
import type { Archive } from '../archive/archive.ts';
import type { Store } from '../store/store.ts';
import type { BatchDoc, MetaDoc, NodeRecord, Principal, RunRecord } from '../state/types.ts';
import { planDrain, schedule, type Drain } from '../scheduler/schedule.ts';
import { largestRequest } from '../../shared/batch/request.ts';
import { checkCompatibility } from '../scheduler/compatibility.ts';
import type { SchedulerState } from '../scheduler/types.ts';
import { HeadEventBus } from './events.ts';
import { LiveLogs } from './live-logs.ts';
import { ActivityLog } from './activity.ts';
import { BatchBook } from './batch-book.ts';
import { BatchCommands, type RetryOutcome } from './batch-commands.ts';
import { RunFinisher, type FinishedRun, type FinishOutcome } from './finish-run.ts';
import { NodeRegistry } from './node-registry.ts';
import { fail, type Result } from './result.ts';
import { NodeCredentials } from '../auth/node-credentials.ts';
import { CloseCode } from '../../shared/protocol/messages.ts';
import { linkOf, type AgentLink, type LiveNode, type Sender } from './live-node.ts';
import { RunLeases, type Lease, type LeaseResult } from './run-leases.ts';
import { migrateLegacyRuns } from './migrate-runs.ts';
import { schedulerSnapshot } from '../scheduler/snapshot.ts';

export type { AgentLink, Sender } from './live-node.ts';
export type { FinishedRun } from './finish-run.ts';

export interface ClusterOptions {
  store: Store;
  archive: Archive;
  now?: () => number;
  newId?: () => string;
  /** Draws run ids (default: random, see shared/job/run-id.ts). */
  newRunId?: () => string;
  /** A node silent this long is lost and its jobs re-queued. */
  nodeTimeoutMs: number;
  heartbeatMs: number;
  /** A job handed back or rejected this many times is failed (default {@link DEFAULT_MAX_HAND_BACKS}). */
  maxHandBacks?: number;
  log?: (line: string) => void;
  /**
   * Why no new job may be assigned now (the archive disk is full or below --min-free-disk, counting
   * `pendingBytes` of results that exited runs still upload), or null. Finished results are still
   * accepted meanwhile.
   */
  assignHold?: (pendingBytes: number) => string | null;
  /** A write into the archive failed for lack of space. */
  diskFull?: () => void;
}

/** Default of {@link ClusterOptions.maxHandBacks}: a node loss does not count. */
export const DEFAULT_MAX_HAND_BACKS = 3;

export class Cluster {
  readonly events = new HeadEventBus();
  /** Output of running jobs from their first line (`logs`, `logs --follow`, the dashboard). */
  readonly logs = new LiveLogs(this.events);
  /** Jobs held per node over the last hour (the dashboard's chart); sampled by the server. */
  readonly activity = new ActivityLog();
  /** Every known node by name (the registry's map). */
  readonly nodes: Map<string, LiveNode>;
  meta: MetaDoc = { users: [], nodes: [], credentials: [] };
  /** Enrolled nodes' credentials (in `meta.credentials`; see head/auth/node-credentials.ts). */
  credentials = new NodeCredentials([]);
  /** Which connection may speak for which run (see run-leases.ts). */
  readonly leases: RunLeases;
  private readonly now: () => number;
  private scheduled = false;
  /** The node drained for a big job, kept from one scheduling call to the next (see `planDrain`). */
  private drain: Drain | null = null;
  private readonly log: (line: string) => void;
  private readonly book: BatchBook;
  private readonly registry: NodeRegistry;
  private readonly commands: BatchCommands;
  private readonly finisher: RunFinisher;

  constructor(private readonly opts: ClusterOptions) {
    this.now = opts.now ?? Date.now;
    const newId = opts.newId ?? (() => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`);
    this.log = opts.log ?? (() => {});
    this.leases = new RunLeases(this.log);
    const scheduleSoon = () => this.scheduleSoon();
    this.book = new BatchBook({ store: opts.store, events: this.events, now: this.now, log: this.log });
    this.registry = new NodeRegistry({
      book: this.book, leases: this.leases, events: this.events, now: this.now, log: this.log, nodeTimeoutMs: opts.nodeTimeoutMs, heartbeatMs: opts.heartbeatMs,
      saveRecords: (records) => {
        this.meta.nodes = records;
        opts.store.touchMeta(this.meta);
      },
      scheduleSoon,
    });
    this.nodes = this.registry.nodes;
    this.commands = new BatchCommands({ book: this.book, store: opts.store, archive: opts.archive, nodes: this.nodes, leases: this.leases, now: this.now, newId, scheduleSoon, events: this.events });
    this.finisher = new RunFinisher({ book: this.book, archive: opts.archive, events: this.events, leases: this.leases, nodes: this.nodes, now: this.now, log: this.log, scheduleSoon, diskFull: opts.diskFull });
    // Agents may drop the inputs of a batch that ended.
    this.events.on('batch:ended', (e) => {
      // After the current message is answered: the agent that ran the last job must get its
      // result-ack first, or it would still hold the batch and keep its files.
      setImmediate(() => {
        for (const n of this.nodes.values()) linkOf(n)?.send({ type: 'forget-batch', batchId: e.batchId });
      });
      // Every job is done: no run's uploads are wanted any more (losers that never reported).
      void opts.archive.discardStaging(e.batchId).catch(() => {});
    });
  }

  // ---- startup -------------------------------------------------------------------------------

  /**
   * Load state and reconcile it with the run journal (runs assigned just before a crash) and the
   * archive (results written just before a crash). A data folder of version 0.1 is migrated.
   */
  async init(): Promise<void> {
    const loaded = await this.opts.store.load();
    this.meta = loaded.meta;
    this.credentials = new NodeCredentials(this.meta.credentials ??= []);
    this.registry.restore(this.meta.nodes);
    this.leases.load(loaded.runs);
    const migrated: RunRecord[] = [];
    for (const doc of loaded.batches) {
      if (doc.record.phase === 'uploading') continue; // never acknowledged
      const legacy = await migrateLegacyRuns(doc, this.opts.archive, this.now());
      migrated.push(...legacy.runs);
      this.book.batches.set(doc.record.id, doc);
      for (const i of legacy.changed) this.book.setJob(doc, i, doc.jobs[i]);
      // The journal is durable, the job states are not: an attempt number once handed out is
      // never handed out again, even if the crash lost the job's own count.
      const attempts = this.leases.attempts(doc.record.id);
      doc.jobs.forEach((job, i) => {
        const seen = attempts.get(job.name) ?? 0;
        if (seen > job.attempts) this.book.setJob(doc, i, { ...job, attempts: seen });
      });
      await this.book.recoverFromArchive(doc, this.opts.archive);
      for (const i of this.book.index(doc).activePositions()) {
        const s = doc.jobs[i].status;
        const node = isActive(s) ? this.nodes.get(s.node) : undefined;
        if (node && isActive(s)) node.runs.set(s.runId, { runId: s.runId, batchId: doc.record.id, job: doc.jobs[i].name, attempt: s.attempt });
      }
      this.book.checkEnd(doc);
    }
    if (migrated.length) {
      await this.opts.store.recordRuns(migrated);
      this.leases.load(migrated);
      this.log(`migrated ${migrated.length} run(s) of a version 0.1 data folder to run ids`);
    }
    await this.dropStaleStaging();
  }

  /** Staging of batches that are gone, and of runs the journal does not know, is never committed. */
  private async dropStaleStaging(): Promise<void> {
    const archive = this.opts.archive;
    for (const id of await archive.stagedBatchIds()) {
      const doc = this.book.batches.get(id);
      if (!doc || doc.record.phase === 'ended') {
        await archive.discardStaging(id);
        continue;
      }
      for (const job of await archive.stagedNames(id)) {
        for (const runId of await archive.stagedNames(id, job)) {
          const lease = this.leases.get(runId);
          if (!lease || lease.batchId !== id || lease.job !== job) await archive.discardStaging(id, job, runId);
        }
      }
    }
  }

  /**
   * The head accepts connections from now on: the wait for the nodes of before a restart counts
   * from here, not from init (see NodeRegistry.listening).
   */
  listening(): void {
    this.registry.listening(this.now());
  }

  // ---- batches -------------------------------------------------------------------------------

  /** Find a batch by id, `namespace/name`, or a name unique across namespaces. */
  findBatch(ref: string): Result<BatchDoc> {
    return this.book.find(ref);
  }

  canManage(principal: Principal, doc: BatchDoc): boolean {
    return this.book.canManage(principal, doc);
  }

  /** The job indexes of a batch (position by name, queued and active jobs). */
  jobIndex(doc: BatchDoc) {
    return this.book.index(doc);
  }

  /** Every batch by id (submitted or still uploading). */
  get batches(): Map<string, BatchDoc> {
    return this.book.batches;
  }

  /** Per known node: can it run a batch with these needs, and why not. */
  compatibility(spec: Pick<BatchSpec, 'capabilities' | 'resources' | 'request' | 'jobs'>) {
    const need = { capabilities: spec.capabilities, resources: spec.resources, request: largestRequest(spec) };
    return [...this.nodes.values()].map((n) => {
      const c = checkCompatibility(n.record.capabilities, need);
      return { node: n.record.name, connected: linkOf(n) !== null, ok: c.ok, reasons: c.ok ? [] : c.reasons };
    });
  }

  /** See {@link BatchCommands.create}. */
  createBatch(owner: Principal, spec: BatchSpec, replace: boolean): Promise<Result<{ doc: BatchDoc; missing: string[]; replaced: string | null }>> {
    return this.commands.create(owner, spec, replace);
  }

  /** Make an uploaded batch schedulable; durable before it resolves. */
  submitBatch(principal: Principal, id: string): Promise<Result<BatchDoc>> {
    return this.commands.submit(principal, id);
  }

  /** Cancel a batch: queued jobs end as cancelled, running ones are killed on their nodes. */
  killBatch(principal: Principal, ref: string): Promise<Result<{ doc: BatchDoc; cancelled: number; killing: number }>> {
    return this.commands.kill(principal, ref);
  }

  /** See {@link BatchCommands.retry}. */
  retryBatch(principal: Principal, ref: string, opts: { failedOnly?: boolean; names?: string[] }): Promise<Result<RetryOutcome>> {
    return this.commands.retry(principal, ref, opts);
  }

  /** Delete a batch entirely (after kill): state, inputs reference, archive. */
  removeBatch(doc: BatchDoc, by: string): Promise<void> {
    return this.commands.remove(doc, by);
  }

  // ---- nodes ---------------------------------------------------------------------------------

  /** An agent said hello: register it, reconcile the jobs it still holds, schedule. */
  nodeHello(hello: Hello, link: AgentLink, credential?: string): void {
    this.registry.hello(hello, link, credential);
  }

  /**
   * Enroll node `name` (not enrolled yet: check `credentials.isEnrolled`) and return its
   * credential once the enrollment is on disk.
   */
  async enrollNode(name: string): Promise<string> {
    const token = this.credentials.enroll(name, this.now());
    await this.opts.store.saveMetaNow(this.meta);
    this.log(`node ${name} enrolled`);
    return token;
  }

  /** Undo an enrollment whose credential never reached its agent (the socket closed first). */
  async cancelEnrollment(name: string): Promise<void> {
    if (this.credentials.revoke(name)) await this.opts.store.saveMetaNow(this.meta);
  }

  /**
   * Revoke and forget node `name` (`distribute nodes rm`, or a node offline too long): its socket
   * is closed with `revoked`, its jobs are re-queued and its record and credential are deleted.
   */
  async removeNode(name: string, reason: string): Promise<Result<{ name: string; wasConnected: boolean }>> {
    const live = this.nodes.get(name);
    const wasConnected = live !== undefined && linkOf(live) !== null;
    const known = this.registry.remove(name, CloseCode.revoked, reason);
    const revoked = this.credentials.revoke(name);
    if (!known && !revoked) return fail('not-found', `no node '${name}'`);
    await this.opts.store.saveMetaNow(this.meta);
    this.log(`node ${name} removed: ${reason}`);
    return { ok: true, value: { name, wasConnected } };
  }

  /** Forget nodes offline for longer than `maxOfflineMs` (their credentials too). Called by a timer. */
  async forgetOfflineNodes(maxOfflineMs: number): Promise<string[]> {
    const names = this.registry.offlineLongerThan(maxOfflineMs);
    // A credential whose node never said hello (enrolled, then gone at once) goes the same way.
    const now = this.now();
    for (const c of this.meta.credentials ?? []) {
      if (!this.nodes.has(c.name) && now - c.enrolledAt > maxOfflineMs && !names.includes(c.name)) names.push(c.name);
    }
    for (const name of names) await this.removeNode(name, `offline for more than ${Math.round(maxOfflineMs / 86_400_000 * 10) / 10} days; forgotten`);
    return names;
  }

  nodeSeen(name: string): void {
    this.registry.seen(name);
  }

  /** The agent is stopping on purpose: it takes no new job until it connects again. */
  nodeLeaving(name: string): void {
    this.registry.leaving(name);
  }

  nodeDisconnected(name: string, link: AgentLink): void {
    this.registry.disconnected(name, link);
  }

  /** Re-queue the jobs of nodes silent past the timeout. Called by a timer. */
  checkTimeouts(): void {
    this.registry.checkTimeouts();
  }

  /** Pause or resume a node on behalf of a user (admin or the node's owner). */
  controlNode(principal: Principal, name: string, action: { type: 'pause'; until: number | null } | { type: 'resume' }): Result<NodeRecord> {
    return this.registry.control(principal, name, action);
  }

  nodePaused(name: string, until: number | null): void {
    this.registry.paused(name, until);
  }

  nodeResumed(name: string): void {
    this.registry.resumed(name);
  }

  liveNodes(): LiveNode[] {
    return [...this.nodes.values()];
  }

  // ---- messages from agents ------------------------------------------------------------------
  // Each message about a run is taken only from the connection holding its lease (run-leases.ts).

  /** The batch and job position of a leased run, or null when the head does not know the job. */
  private locate(lease: Lease): { doc: BatchDoc; index: number } | null {
    const doc = this.book.batches.get(lease.batchId);
    const index = doc ? this.book.position(doc, lease.job) : -1;
    return doc && index >= 0 ? { doc, index } : null;
  }

  jobStarted(from: Sender, runId: string): void {
    const lease = this.leases.check(from, runId, 'job-started');
    const at = lease && this.locate(lease);
    if (lease && at && this.book.apply(at.doc, at.index, { type: 'start', runId, now: this.now() }))
      this.events.emit('job:started', { batchId: lease.batchId, job: lease.job, node: lease.node, runId, attempt: lease.attempt });
  }

  jobPaused(from: Sender, runId: string, until: number | null): void {
    const lease = this.leases.check(from, runId, 'job-paused');
    const at = lease && this.locate(lease);
    if (at) this.book.apply(at.doc, at.index, { type: 'pause', runId, until, now: this.now() });
  }

  jobResumed(from: Sender, runId: string): void {
    const lease = this.leases.check(from, runId, 'job-resumed');
    const at = lease && this.locate(lease);
    if (at) this.book.apply(at.doc, at.index, { type: 'resume', runId, now: this.now() });
  }

  /**
   * Output of a run: kept (see `live-logs.ts`) and announced only while that run is the job's
   * current one (attempt numbers only grow, the run journal sees to it).
   */
  /**
   * The run's processes ended (`job-exited`); its results (`bytes`) are still to come. Its share of
   * the node is free from now on, so the node's next job starts while this result is uploaded and
   * archived; the node keeps holding the run (a node lost now still re-queues it) until its report
   * is settled.
   */
  jobExited(from: Sender, runId: string, bytes: number): void {
    if (!this.leases.check(from, runId, 'job-exited')) return;
    const held = this.nodes.get(from.node)?.runs.get(runId);
    if (!held || held.exited) return;
    held.exited = { bytes };
    this.scheduleSoon();
  }

  /** Bytes of results that runs whose processes ended have still to upload or archive. */
  private pendingResultBytes(): number {
    let bytes = 0;
    for (const n of this.nodes.values()) for (const r of n.runs.values()) bytes += r.exited?.bytes ?? 0;
    return bytes;
  }

  jobLog(from: Sender, runId: string, stream: 'stdout' | 'stderr', data: string): void {
    const lease = this.leases.check(from, runId, 'job-log');
    const at = lease && this.locate(lease);
    const s = at?.doc.jobs[at.index].status;
    if (!lease || !s || !isActive(s) || s.runId !== runId) return;
    if (this.logs.append(lease.batchId, lease.job, lease.attempt, stream, data))
      this.events.emit('job:log', { batchId: lease.batchId, job: lease.job, runId, attempt: lease.attempt, stream, data });
  }

  jobRejected(from: Sender, runId: string, reason: string): void {
    const lease = this.leases.check(from, runId, 'job-rejected');
    if (!lease) return;
    this.leases.end(runId);
    this.nodes.get(from.node)?.runs.delete(runId);
    const at = this.locate(lease);
    if (at) this.handBack(at.doc, at.index, from.node, runId, reason);
    void this.opts.archive.discardStaging(lease.batchId, lease.job, runId).catch(() => {});
    this.scheduleSoon();
  }

  /**
   * Where an upload by `node` with `key` into run `runId` may go: the run's lease when the run is
   * that node's, the key is the run's, and the run is not over (the route logs a refusal).
   */
  uploadLease(runId: string, key: string | undefined, node: string): LeaseResult {
    const r = this.leases.checkKey(runId, key);
    if (!r.ok) return r;
    if (r.lease.node !== node) return { ok: false, reason: `the run belongs to node ${r.lease.node}` };
    const doc = this.book.batches.get(r.lease.batchId);
    const index = doc ? this.book.position(doc, r.lease.job) : -1;
    if (!doc || index < 0 || doc.jobs[index].status.state === 'done') return { ok: false, reason: 'the job is already done' };
    return r;
  }

  /**
   * Run `runId` of the job was handed back or rejected: re-queue it, or fail it on the
   * `maxHandBacks`-th time (see the `hand-back` transition).
   */
  private handBack(doc: BatchDoc, index: number, node: string, runId: string, reason: string): void {
    const before = doc.jobs[index].status;
    const attempt = isActive(before) ? before.attempt : 0;
    const maxHandBacks = this.opts.maxHandBacks ?? DEFAULT_MAX_HAND_BACKS;
    if (!this.book.apply(doc, index, { type: 'hand-back', runId, now: this.now(), reason, maxHandBacks })) return;
    const job = doc.jobs[index];
    const ref = { batchId: doc.record.id, job: job.name, node, runId };
    if (job.status.state === 'done') {
      this.log(`job ${doc.record.namespace}/${doc.record.name}/${job.name} failed: handed back or rejected ${job.handBacks} times (last by ${node}: ${reason})`);
      this.events.emit('job:finished', { ...ref, attempt, result: job.status.result, archived: false });
      this.book.checkEnd(doc);
    } else {
      this.events.emit('job:requeued', { ...ref, reason: `rejected: ${reason}` });
    }
  }

  buildSucceeded(node: string, batchId: string): void {
    const live = this.nodes.get(node);
    if (live && !live.record.built.includes(batchId)) live.record.built.push(batchId);
  }

  /** The build step failed on `node`: never offer the batch there again; fail it when no node is left. */
  buildFailed(node: string, batchId: string, log: string): void {
    const doc = this.book.batches.get(batchId);
    if (!doc) return;
    doc.record.buildFailures[node] = log.slice(-8000);
    this.opts.store.touchBatchRecord(doc);
    const live = this.nodes.get(node);
    this.book.requeueHeldBy(doc, node, 'build failed');
    for (const [runId, h] of live?.runs ?? []) {
      if (h.batchId !== batchId) continue;
      live?.runs.delete(runId);
      this.leases.end(runId);
    }
    const candidates = this.compatibility(doc.spec).filter((c) => c.ok).map((c) => c.node);
    if (candidates.every((n) => n in doc.record.buildFailures)) {
      this.log(`batch ${doc.record.namespace}/${doc.record.name} failed to build on every compatible node`);
      doc.jobs.forEach((job, i) => {
        if (job.status.state === 'queued') this.book.apply(doc, i, { type: 'build-failed', message: `build failed on ${Object.keys(doc.record.buildFailures).join(', ')}`, now: this.now() });
      });
      this.book.checkEnd(doc);
    }
    this.scheduleSoon();
  }

  /**
   * A node finished a run and uploaded its files. The first run of a job to finish wins: its
   * files move into the archive and any other run of the job is cancelled (see `finish-run.ts`).
   */
  jobFinished(from: Sender, msg: FinishedRun): Promise<FinishOutcome> {
    return this.finisher.jobFinished(from, msg);
  }

  // ---- scheduling ----------------------------------------------------------------------------

  scheduleSoon(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.runSchedule();
    });
  }

  /** Snapshot of what the pure scheduler needs (after a restart without the jobs that wait for their node). */
  schedulerState(): SchedulerState {
    const held = this.registry.recovering() ? (batchId: string, job: string) => this.registry.mayBeHeldByAbsent(batchId, job) : undefined;
    return schedulerSnapshot(this.book.batches, (doc) => this.book.index(doc), this.nodes.values(), held);
  }

  /**
   * Assign what the scheduler picks. The new runs are recorded durably (the run journal) before
   * any `assign` goes out, so a head killed at any moment still knows every run an agent holds.
   */
  runSchedule(): void {
    if (this.opts.assignHold?.(this.pendingResultBytes())) return; // status says why
    const state = this.schedulerState();
    if (!state.batches.length || !state.nodes.some((n) => n.accepting)) return;
    state.drain = this.drain = planDrain(state, this.drain);
    const granted: { record: RunRecord; lease: Lease; key: string; doc: BatchDoc; index: number }[] = [];
    for (const a of schedule(state)) {
      const doc = this.book.batches.get(a.batchId);
      const node = this.nodes.get(a.nodeId);
      const link = node && linkOf(node);
      if (!doc || !node || !link) continue;
      const index = this.book.position(doc, a.job);
      const runId = (this.opts.newRunId ?? newRunId)();
      if (!this.book.apply(doc, index, { type: 'assign', node: a.nodeId, runId, now: this.now() })) continue;
      const status = doc.jobs[index].status as Extract<Job['status'], { state: 'assigned' }>;
      node.runs.set(runId, { runId, batchId: doc.record.id, job: a.job, attempt: status.attempt });
      const key = newRunKey();
      const record: RunRecord = { runId, batchId: doc.record.id, job: a.job, node: a.nodeId, attempt: status.attempt, keyHash: hashRunKey(key), at: this.now() };
      granted.push({ record, lease: this.leases.grant(record, link), key, doc, index });
    }
    if (!granted.length) return;
    this.opts.store.recordRuns(granted.map((g) => g.record)).then(() => {
      for (const { lease, key, doc, index } of granted) this.sendAssign(lease, key, doc, index);
    }, (err: Error) => {
      this.log(`recording ${granted.length} run(s) failed: ${err.message}; jobs re-queued`);
      for (const { lease, doc, index } of granted) {
        this.leases.end(lease.runId);
        this.nodes.get(lease.node)?.runs.delete(lease.runId);
        this.book.requeue(doc, index, lease.runId, 'could not record the run');
      }
    });
  }

  private sendAssign(lease: Lease, key: string, doc: BatchDoc, index: number): void {
    const s = doc.jobs[index].status;
    // Cancelled, lost or re-queued while the record was written: the node never hears of it.
    if (lease.ended || !isActive(s) || s.runId !== lease.runId) return;
    const { jobs: _jobs, ...header } = doc.spec;
    lease.link?.send({
      type: 'assign', runId: lease.runId, runKey: key, batchId: doc.record.id, job: lease.job, attempt: lease.attempt,
      batch: { ...header, id: doc.record.id, owner: doc.record.owner }, spec: doc.spec.jobs[index],
    });
    this.events.emit('job:assigned', { batchId: doc.record.id, job: lease.job, node: lease.node, runId: lease.runId, attempt: lease.attempt });
  }
}
