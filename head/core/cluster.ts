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
import type { Archive } from '../archive/archive.ts';
import type { Store } from '../store/store.ts';
import type { BatchDoc, MetaDoc, NodeRecord, Principal } from '../state/types.ts';
import { schedule } from '../scheduler/schedule.ts';
import { checkCompatibility } from '../scheduler/compatibility.ts';
import type { SchedulerState } from '../scheduler/types.ts';
import { HeadEventBus } from './events.ts';
import { LiveLogs } from './live-logs.ts';
import { BatchBook } from './batch-book.ts';
import { BatchCommands, type RetryOutcome } from './batch-commands.ts';
import { RunFinisher, type FinishedRun, type FinishOutcome } from './finish-run.ts';
import { NodeRegistry } from './node-registry.ts';
import { fail, type Result } from './result.ts';
import { NodeCredentials } from '../auth/node-credentials.ts';
import { CloseCode } from '../../shared/protocol/messages.ts';
import { sameRun, type AgentLink, type Holding, type LiveNode } from './live-node.ts';
import { schedulerSnapshot } from '../scheduler/snapshot.ts';

export type { AgentLink } from './live-node.ts';
export type { FinishedRun } from './finish-run.ts';

export interface ClusterOptions {
  store: Store;
  archive: Archive;
  now?: () => number;
  newId?: () => string;
  /** A node silent this long is lost and its jobs re-queued. */
  nodeTimeoutMs: number;
  heartbeatMs: number;
  log?: (line: string) => void;
  /**
   * Why no new job may be assigned now (the archive disk is full or below --min-free-disk), or
   * null. Finished results are still accepted meanwhile.
   */
  assignHold?: () => string | null;
  /** A write into the archive failed for lack of space. */
  diskFull?: () => void;
}

export class Cluster {
  readonly events = new HeadEventBus();
  /** Output of running jobs from their first line (`logs`, `logs --follow`, the dashboard). */
  readonly logs = new LiveLogs(this.events);
  /** Every known node by name (the registry's map). */
  readonly nodes: Map<string, LiveNode>;
  meta: MetaDoc = { users: [], nodes: [], credentials: [] };
  /** Enrolled nodes' credentials (in `meta.credentials`; see head/auth/node-credentials.ts). */
  credentials = new NodeCredentials([]);
  private readonly now: () => number;
  private scheduled = false;
  private readonly log: (line: string) => void;
  private readonly book: BatchBook;
  private readonly registry: NodeRegistry;
  private readonly commands: BatchCommands;
  private readonly finisher: RunFinisher;

  constructor(private readonly opts: ClusterOptions) {
    this.now = opts.now ?? Date.now;
    const newId = opts.newId ?? (() => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`);
    this.log = opts.log ?? (() => {});
    const scheduleSoon = () => this.scheduleSoon();
    this.book = new BatchBook({ store: opts.store, events: this.events, now: this.now, log: this.log });
    this.registry = new NodeRegistry({
      book: this.book, events: this.events, now: this.now, log: this.log, nodeTimeoutMs: opts.nodeTimeoutMs, heartbeatMs: opts.heartbeatMs,
      saveRecords: (records) => {
        this.meta.nodes = records;
        opts.store.touchMeta(this.meta);
      },
      scheduleSoon,
    });
    this.nodes = this.registry.nodes;
    this.commands = new BatchCommands({ book: this.book, store: opts.store, archive: opts.archive, nodes: this.nodes, now: this.now, newId, scheduleSoon });
    this.finisher = new RunFinisher({ book: this.book, archive: opts.archive, events: this.events, nodes: this.nodes, now: this.now, log: this.log, scheduleSoon, diskFull: opts.diskFull });
    // Agents may drop the inputs of a batch that ended.
    this.events.on('batch:ended', (e) => {
      // After the current message is answered: the agent that ran the last job must get its
      // result-ack first, or it would still hold the batch and keep its files.
      setImmediate(() => {
        for (const n of this.nodes.values()) n.link?.send({ type: 'forget-batch', batchId: e.batchId });
      });
    });
  }

  // ---- startup -------------------------------------------------------------------------------

  /** Load state and reconcile it with the archive (results written just before a crash). */
  async init(): Promise<void> {
    const loaded = await this.opts.store.load();
    this.meta = loaded.meta;
    this.credentials = new NodeCredentials(this.meta.credentials ??= []);
    this.registry.restore(this.meta.nodes);
    for (const doc of loaded.batches) {
      if (doc.record.phase === 'uploading') continue; // never acknowledged
      this.book.batches.set(doc.record.id, doc);
      await this.book.recoverFromArchive(doc, this.opts.archive);
      for (const i of this.book.index(doc).activePositions()) {
        const s = doc.jobs[i].status;
        const node = isActive(s) ? this.nodes.get(s.node) : undefined;
        if (node && isActive(s)) node.holding = { batchId: doc.record.id, job: doc.jobs[i].name, attempt: s.attempt };
      }
      this.book.checkEnd(doc);
    }
    for (const id of await this.opts.archive.stagedBatchIds()) if (!this.book.batches.has(id)) await this.opts.archive.discardStaging(id);
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

  /** Every batch by id (submitted or still uploading). */
  get batches(): Map<string, BatchDoc> {
    return this.book.batches;
  }

  /** Per known node: can it run a batch with these needs, and why not. */
  compatibility(spec: Pick<BatchSpec, 'capabilities' | 'resources'>) {
    return [...this.nodes.values()].map((n) => {
      const c = checkCompatibility(n.record.capabilities, spec);
      return { node: n.record.name, connected: n.link !== null, ok: c.ok, reasons: c.ok ? [] : c.reasons };
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
    const wasConnected = this.nodes.get(name)?.link != null;
    const known = this.registry.remove(name, CloseCode.revoked, reason);
    const revoked = this.credentials.revoke(name);
    if (!known && !revoked) return fail(404, `no node '${name}'`);
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

  /** The batch and job position a run refers to, or null when the head does not know the job. */
  private locate(ref: Holding): { doc: BatchDoc; index: number } | null {
    const doc = this.book.batches.get(ref.batchId);
    const index = doc ? this.book.position(doc, ref.job) : -1;
    return doc && index >= 0 ? { doc, index } : null;
  }

  jobStarted(node: string, ref: Holding): void {
    const at = this.locate(ref);
    if (at && this.book.apply(at.doc, at.index, { type: 'start', node, attempt: ref.attempt, now: this.now() }))
      this.events.emit('job:started', { ...ref, node });
  }

  jobPaused(node: string, ref: Holding, until: number | null): void {
    const at = this.locate(ref);
    if (at) this.book.apply(at.doc, at.index, { type: 'pause', node, attempt: ref.attempt, until, now: this.now() });
  }

  jobResumed(node: string, ref: Holding): void {
    const at = this.locate(ref);
    if (at) this.book.apply(at.doc, at.index, { type: 'resume', node, attempt: ref.attempt, now: this.now() });
  }

  /** Output of a run: kept (see `live-logs.ts`) and announced, unless it is not the job's current run. */
  jobLog(ref: Holding, stream: 'stdout' | 'stderr', data: string): void {
    const at = this.locate(ref);
    const s = at?.doc.jobs[at.index].status;
    if (!s || !isActive(s) || s.attempt !== ref.attempt) return;
    if (this.logs.append(ref.batchId, ref.job, ref.attempt, stream, data)) this.events.emit('job:log', { ...ref, stream, data });
  }

  jobRejected(node: string, ref: Holding, reason: string): void {
    const live = this.nodes.get(node);
    if (live?.holding && sameRun(live.holding, ref)) live.holding = null;
    const at = this.locate(ref);
    const s = at?.doc.jobs[at.index].status;
    if (at && s && isActive(s) && s.node === node && s.attempt === ref.attempt) this.book.requeue(at.doc, at.index, node, `rejected: ${reason}`);
    this.scheduleSoon();
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
    for (const i of this.book.heldBy(doc, node)) this.book.requeue(doc, i, node, 'build failed');
    if (live?.holding?.batchId === batchId) live.holding = null;
    const candidates = this.compatibility(doc.spec).filter((c) => c.ok).map((c) => c.node);
    if (candidates.every((n) => n in doc.record.buildFailures)) {
      this.log(`batch ${doc.record.namespace}/${doc.record.name} failed to build on every compatible node`);
      doc.jobs.forEach((job, i) => {
        if (job.status.state === 'queued') this.book.apply(doc, i, { type: 'build-failed', message: `build failed on ${Object.keys(doc.record.buildFailures).join(', ')}`, now: this.now() });
      });
      if (doc.jobs.every((j) => j.status.state === 'done' && j.status.result.outcome === 'build-failed')) doc.record.outcome = 'build-failed';
      this.book.checkEnd(doc);
    }
    this.scheduleSoon();
  }

  /**
   * A node finished a run and uploaded its files. The first run of a job to finish wins: its
   * files move into the archive and any other run of the job is cancelled (see `finish-run.ts`).
   */
  jobFinished(node: string, msg: FinishedRun): Promise<FinishOutcome> {
    return this.finisher.jobFinished(node, msg);
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

  /** Snapshot of what the pure scheduler needs. */
  schedulerState(): SchedulerState {
    return schedulerSnapshot(this.book.batches.values(), (doc) => this.book.index(doc), this.nodes.values());
  }

  runSchedule(): void {
    if (this.registry.recovering()) return; // see NodeRegistry `awaiting`
    if (this.opts.assignHold?.()) return; // status says why
    const state = this.schedulerState();
    if (!state.batches.length || !state.nodes.some((n) => n.free)) return;
    for (const a of schedule(state)) {
      const doc = this.book.batches.get(a.batchId);
      const node = this.nodes.get(a.nodeId);
      if (!doc || !node?.link) continue;
      const index = this.book.position(doc, a.job);
      if (!this.book.apply(doc, index, { type: 'assign', node: a.nodeId, now: this.now() })) continue;
      const status = doc.jobs[index].status as Extract<Job['status'], { state: 'assigned' }>;
      node.holding = { batchId: doc.record.id, job: a.job, attempt: status.attempt };
      const { jobs: _jobs, ...header } = doc.spec;
      node.link.send({ type: 'assign', batchId: doc.record.id, job: a.job, attempt: status.attempt, batch: { ...header, id: doc.record.id, owner: doc.record.owner }, spec: doc.spec.jobs[index] });
      this.events.emit('job:assigned', { batchId: doc.record.id, job: a.job, node: a.nodeId, attempt: status.attempt });
    }
  }
}
