/**
 * The head's cluster model: batches with their jobs, nodes with what they hold, and every change
 * to them. Agent sessions, HTTP routes and timers call in here; job states change only through
 * `transition()`. The scheduler is a pure function called from `runSchedule()`.
 */
import type { BatchSpec } from '../../shared/batch/spec.ts';
import type { Hello, ResultFile } from '../../shared/protocol/messages.ts';
import type { Job, JobResult } from '../../shared/job/state.ts';
import { isActive } from '../../shared/job/state.ts';
import { transition } from '../../shared/job/transition.ts';
import type { Archive } from '../archive/archive.ts';
import type { Store } from '../store/store.ts';
import type { BatchDoc, MetaDoc, NodeRecord, Principal } from '../state/types.ts';
import { schedule } from '../scheduler/schedule.ts';
import { checkCompatibility } from '../scheduler/compatibility.ts';
import type { SchedulerState } from '../scheduler/types.ts';
import { HeadEventBus } from './events.ts';
import { BatchBook } from './batch-book.ts';
import { fail, type Result } from './result.ts';
import { VERSION } from '../../shared/version.ts';
import { sameRun, type AgentLink, type Holding, type LiveNode } from './live-node.ts';
import { schedulerSnapshot } from '../scheduler/snapshot.ts';

export type { AgentLink } from './live-node.ts';

export interface ClusterOptions {
  store: Store;
  archive: Archive;
  now?: () => number;
  newId?: () => string;
  /** A node silent this long is lost and its jobs re-queued. */
  nodeTimeoutMs: number;
  heartbeatMs: number;
  log?: (line: string) => void;
}

export class Cluster {
  readonly events = new HeadEventBus();
  readonly nodes = new Map<string, LiveNode>();
  meta: MetaDoc = { users: [], nodes: [] };
  private readonly now: () => number;
  private readonly newId: () => string;
  private scheduled = false;
  /** Per job (`batchId\0job`): the report being handled, so reports of one job run one by one. */
  private readonly finishing = new Map<string, Promise<unknown>>();
  /**
   * After a restart: nodes that were connected when the head went down, and until when we wait
   * for them. Until each has said hello (or the node timeout passed) nothing is scheduled, because
   * the store may not yet know that such a node runs a job (job states are written coalesced),
   * and handing that job to a faster-reconnecting node would run it twice.
   */
  private awaiting = new Set<string>();
  /** When `checkTimeouts` last ran, to notice that the head itself was frozen. */
  private lastTimeoutCheck: number | null = null;
  private recoverUntil = 0;
  private readonly log: (line: string) => void;
  private readonly book: BatchBook;

  constructor(private readonly opts: ClusterOptions) {
    this.now = opts.now ?? Date.now;
    this.newId = opts.newId ?? (() => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`);
    this.log = opts.log ?? (() => {});
    this.book = new BatchBook({ store: opts.store, events: this.events, now: this.now, log: this.log });
    // Agents may drop the inputs of a batch that ended.
    this.events.on('batch:ended', (e) => {
      for (const n of this.nodes.values()) n.link?.send({ type: 'forget-batch', batchId: e.batchId });
    });
  }

  // ---- startup -------------------------------------------------------------------------------

  /** Load state and reconcile it with the archive (results written just before a crash). */
  async init(): Promise<void> {
    const loaded = await this.opts.store.load();
    this.meta = loaded.meta;
    const now = this.now();
    for (const rec of this.meta.nodes) {
      // Give every known node one timeout to come back before its jobs are re-queued.
      this.nodes.set(rec.name, { record: { ...rec, lastSeen: now, connectedAt: null }, link: null, holding: null, alive: true });
      if (rec.connectedAt !== null) this.awaiting.add(rec.name);
    }
    if (this.awaiting.size) {
      this.recoverUntil = now + this.opts.nodeTimeoutMs;
      setTimeout(() => this.scheduleSoon(), this.opts.nodeTimeoutMs + 10).unref();
    }
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
    for (const dir of await this.stagingBatchIds()) if (!this.book.batches.has(dir)) await this.opts.archive.discardStaging(dir);
  }

  private async stagingBatchIds(): Promise<string[]> {
    const fs = await import('node:fs/promises');
    try {
      return await fs.readdir(this.opts.archive.stagingRoot);
    } catch {
      return [];
    }
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

  /**
   * Register a batch (phase `uploading`) whose inputs the client then uploads. A batch with the
   * same namespace/name is refused unless `replace`, which removes the old one and its archive.
   */
  async createBatch(owner: Principal, spec: BatchSpec, replace: boolean): Promise<Result<{ doc: BatchDoc; missing: string[]; replaced: string | null }>> {
    const same = [...this.book.batches.values()].find((d) => d.record.namespace === spec.namespace && d.record.name === spec.name);
    let replaced: string | null = null;
    if (same && same.record.phase === 'uploading' && (owner.kind === 'admin' || same.record.owner === owner.name)) {
      this.book.batches.delete(same.record.id); // an earlier add that never finished uploading
    } else if (same) {
      if (!replace) {
        const done = same.jobs.filter((j) => j.status.state === 'done').length;
        return fail(409, `batch '${spec.namespace}/${spec.name}' already exists (${same.jobs.length} jobs, ${done} done, owner ${same.record.owner}); add --replace to delete it and its archived results`);
      }
      if (!this.canManage(owner, same)) return fail(403, `batch '${spec.namespace}/${spec.name}' belongs to ${same.record.owner}`);
      await this.removeBatch(same, owner.name);
      replaced = same.record.id;
    }
    const names = new Set<string>();
    for (const j of spec.jobs) {
      if (names.has(j.name)) return fail(400, `duplicate job name '${j.name}'`);
      names.add(j.name);
    }
    const now = this.now();
    const doc: BatchDoc = {
      record: {
        id: this.newId(), namespace: spec.namespace, name: spec.name, owner: owner.name, createdAt: now, submittedAt: null,
        phase: 'uploading', endedAt: null, outcome: null, buildFailures: {}, inputsCleaned: false,
      },
      spec,
      jobs: spec.jobs.map((j) => ({ batchId: '', name: j.name, attempts: 0, retries: 0, status: { state: 'queued', since: now } })),
    };
    for (const j of doc.jobs) j.batchId = doc.record.id;
    this.book.batches.set(doc.record.id, doc);
    const missing: string[] = [];
    const seen = new Set<string>();
    const { distinctInputs } = await import('../../shared/batch/spec.ts');
    for (const f of distinctInputs(spec)) {
      if (seen.has(f.sha256)) continue;
      seen.add(f.sha256);
      if (!(await this.opts.archive.hasInput(f.sha256))) missing.push(f.sha256);
    }
    return { ok: true, value: { doc, missing, replaced } };
  }

  /** Make an uploaded batch schedulable; durable before it resolves. */
  async submitBatch(principal: Principal, id: string): Promise<Result<BatchDoc>> {
    const doc = this.book.batches.get(id);
    if (!doc) return fail(404, `no batch '${id}'`);
    if (!this.canManage(principal, doc)) return fail(403, `batch ${id} belongs to ${doc.record.owner}`);
    if (doc.record.phase !== 'uploading') return { ok: true, value: doc };
    const { distinctInputs } = await import('../../shared/batch/spec.ts');
    const missing: string[] = [];
    for (const f of distinctInputs(doc.spec)) if (!(await this.opts.archive.hasInput(f.sha256))) missing.push(`${f.alias} (${f.sha256.slice(0, 12)})`);
    if (missing.length) return fail(409, `inputs not uploaded yet: ${missing.join(', ')}`);
    // Written as active before it becomes active in memory: nothing is scheduled from a batch that
    // is not yet durable, and a failed write leaves it uploading (the client may submit again).
    const record = { ...doc.record, phase: 'active' as const, submittedAt: this.now() };
    await this.opts.store.createBatch({ ...doc, record });
    doc.record.phase = record.phase;
    doc.record.submittedAt = record.submittedAt;
    this.scheduleSoon();
    return { ok: true, value: doc };
  }

  /** Cancel a batch: queued jobs end as cancelled, running ones are killed on their nodes. */
  async killBatch(principal: Principal, ref: string): Promise<Result<{ doc: BatchDoc; cancelled: number; killing: number }>> {
    const found = this.findBatch(ref);
    if (!found.ok) return found;
    const doc = found.value;
    if (!this.canManage(principal, doc)) return fail(403, `batch '${doc.record.namespace}/${doc.record.name}' belongs to ${doc.record.owner}; only its owner or an admin may kill it`);
    let cancelled = 0;
    let killing = 0;
    doc.jobs.forEach((job, i) => {
      if (job.status.state === 'done') return;
      if (isActive(job.status)) {
        const node = this.nodes.get(job.status.node);
        node?.link?.send({ type: 'cancel', batchId: doc.record.id, job: job.name, attempt: job.status.attempt, reason: `batch killed by ${principal.name}` });
        killing++;
      }
      this.book.apply(doc, i, { type: 'cancel', by: principal.name, now: this.now() });
      cancelled++;
    });
    if (doc.record.phase === 'active') doc.record.outcome = 'cancelled';
    this.book.checkEnd(doc);
    await this.opts.store.flush();
    return { ok: true, value: { doc, cancelled, killing } };
  }

  /** Delete a batch entirely (after kill): state, inputs reference, archive. */
  async removeBatch(doc: BatchDoc, by: string): Promise<void> {
    for (const job of doc.jobs) {
      if (isActive(job.status)) {
        this.nodes.get(job.status.node)?.link?.send({ type: 'cancel', batchId: doc.record.id, job: job.name, attempt: job.status.attempt, reason: `batch removed by ${by}` });
      }
    }
    this.book.batches.delete(doc.record.id);
    await this.opts.store.deleteBatch(doc.record.id);
    await this.opts.archive.removeBatch(doc.record.namespace, doc.record.name);
    await this.opts.archive.discardStaging(doc.record.id);
  }

  // ---- nodes ---------------------------------------------------------------------------------

  /** An agent said hello: register it, reconcile the jobs it still holds, schedule. */
  nodeHello(hello: Hello, link: AgentLink): void {
    const now = this.now();
    const prev = this.nodes.get(hello.name);
    if (prev?.link && prev.link !== link) prev.link.close(4004, 'replaced by a new connection of the same node');
    const record: NodeRecord = {
      name: hello.name, owner: hello.owner ?? prev?.record.owner ?? null, capabilities: hello.capabilities,
      lastSeen: now, connectedAt: now, built: hello.built, lastBatch: prev?.record.lastBatch ?? null,
      paused: prev?.record.paused ?? null, agentVersion: hello.agentVersion,
    };
    const node: LiveNode = { record, link, holding: null, alive: true };
    this.nodes.set(hello.name, node);
    this.awaiting.delete(hello.name);
    this.saveNodes();
    link.send({ type: 'welcome', nodeId: hello.name, heartbeatMs: this.opts.heartbeatMs, timeoutMs: this.opts.nodeTimeoutMs, headVersion: VERSION });

    // Jobs the head thinks this node holds but the node does not report: lost with the old process.
    for (const doc of this.book.batches.values()) {
      for (const i of this.book.heldBy(doc, hello.name)) {
        const job = doc.jobs[i];
        const attempt = isActive(job.status) ? job.status.attempt : -1;
        const reported = hello.held.some((h) => h.batchId === doc.record.id && h.job === job.name && h.attempt === attempt);
        if (!reported) this.requeue(doc, i, hello.name, 'node restarted without the job');
      }
    }
    for (const held of hello.held) this.reconcileHeld(node, held);
    this.events.emit('node:connected', { node: hello.name });
    this.scheduleSoon();
  }

  private reconcileHeld(node: LiveNode, held: Hello['held'][number]): void {
    const name = node.record.name;
    const doc = this.book.batches.get(held.batchId);
    const index = doc ? this.book.position(doc, held.job) : -1;
    const cancel = (reason: string) => node.link?.send({ type: 'cancel', batchId: held.batchId, job: held.job, attempt: held.attempt, reason });
    if (!doc || index < 0) {
      if (held.state !== 'finished') cancel('unknown job');
      return;
    }
    const job = doc.jobs[index];
    node.holding = { batchId: held.batchId, job: held.job, attempt: held.attempt };
    const s = job.status;
    if (held.state === 'finished') {
      // The agent re-sends job-finished after welcome. A job the (restarted) head believes queued
      // must not be handed to another node meanwhile: it counts as running here until reported.
      if (s.state === 'queued') this.adopt(doc, index, name, held);
      return;
    }
    if (isActive(s) && s.node === name && s.attempt === held.attempt) {
      if (s.state === 'assigned') this.book.apply(doc, index, { type: 'start', node: name, attempt: held.attempt, now: this.now() });
      this.syncPause(doc, index, name, held);
      return;
    }
    if (s.state === 'queued') {
      this.adopt(doc, index, name, held);
      this.syncPause(doc, index, name, held);
      return;
    }
    if (s.state === 'done') {
      cancel('job already finished elsewhere');
      return;
    }
    // Active on another node: both runs go on; the first to finish wins and the other is cancelled.
    this.log(`node ${name} returned with ${doc.record.name}/${held.job} which also runs on ${s.node}; first to finish wins`);
  }

  /** Re-adopt a run the head had given up on (or forgot in a crash): it continues, nothing is re-run. */
  private adopt(doc: BatchDoc, index: number, node: string, held: Hello['held'][number]): void {
    const job = doc.jobs[index];
    this.book.setJob(doc, index, {
      ...job, attempts: Math.max(job.attempts, held.attempt),
      status: { state: 'running', node, attempt: held.attempt, startedAt: this.now(), pausedMs: 0 },
    });
  }

  private syncPause(doc: BatchDoc, index: number, node: string, held: Hello['held'][number]): void {
    const s = doc.jobs[index].status;
    if (held.state === 'paused' && s.state === 'running') this.book.apply(doc, index, { type: 'pause', node, attempt: held.attempt, until: held.pausedUntil ?? null, now: this.now() });
    if (held.state === 'running' && s.state === 'paused') this.book.apply(doc, index, { type: 'resume', node, attempt: held.attempt, now: this.now() });
  }

  nodeSeen(name: string): void {
    const node = this.nodes.get(name);
    if (node) node.record.lastSeen = this.now();
  }

  /** The agent is stopping on purpose: it takes no new job until it connects again. */
  nodeLeaving(name: string): void {
    const node = this.nodes.get(name);
    if (node) node.leaving = true;
  }

  nodeDisconnected(name: string, link: AgentLink): void {
    const node = this.nodes.get(name);
    if (!node || node.link !== link) return;
    node.link = null;
    node.record.connectedAt = null;
    this.saveNodes();
  }

  /** Re-queue the jobs of nodes silent past the timeout. Called by a timer. */
  checkTimeouts(): void {
    const now = this.now();
    const gap = this.lastTimeoutCheck === null ? 0 : now - this.lastTimeoutCheck;
    this.lastTimeoutCheck = now;
    if (gap > this.opts.nodeTimeoutMs / 2) {
      // The head itself did not run for a while (stopped, suspended, starved): the silence was
      // ours. Give every node a full timeout to speak up instead of losing all of them at once.
      this.log(`head was unresponsive for ${gap} ms; not counting that against the nodes`);
      for (const node of this.nodes.values()) if (node.alive) node.record.lastSeen = Math.max(node.record.lastSeen, now);
      return;
    }
    for (const node of this.nodes.values()) {
      if (!node.alive || now - node.record.lastSeen <= this.opts.nodeTimeoutMs) continue;
      node.alive = false;
      node.link?.close(4006, 'no heartbeat within the timeout');
      node.link = null;
      node.holding = null;
      node.record.connectedAt = null;
      this.log(`node ${node.record.name} lost (silent for ${now - node.record.lastSeen} ms)`);
      this.saveNodes();
      for (const doc of this.book.batches.values()) {
        for (const i of this.book.heldBy(doc, node.record.name)) this.requeue(doc, i, node.record.name, 'node lost');
      }
      this.events.emit('node:lost', { node: node.record.name, reason: 'timeout' });
      this.scheduleSoon();
    }
  }

  private requeue(doc: BatchDoc, index: number, node: string, reason: string): void {
    if (this.book.apply(doc, index, { type: 'lose', node, now: this.now(), reason }))
      this.events.emit('job:requeued', { batchId: doc.record.id, job: doc.jobs[index].name, node, reason });
  }

  private saveNodes(): void {
    this.meta.nodes = [...this.nodes.values()].map((n) => n.record);
    this.opts.store.touchMeta(this.meta);
  }

  /** Pause or resume a node on behalf of a user (admin or the node's owner). */
  controlNode(principal: Principal, name: string, action: { type: 'pause'; until: number | null } | { type: 'resume' }): Result<NodeRecord> {
    const node = this.nodes.get(name);
    if (!node) return fail(404, `no node '${name}'`);
    if (principal.kind !== 'admin' && node.record.owner !== principal.name) return fail(403, `only an admin or the owner of node '${name}' may pause it`);
    if (!node.link) return fail(409, `node '${name}' is not connected`);
    node.link.send(action);
    return { ok: true, value: node.record };
  }

  // ---- messages from agents ------------------------------------------------------------------

  jobStarted(node: string, ref: Holding): void {
    const doc = this.book.batches.get(ref.batchId);
    const index = doc ? this.book.position(doc, ref.job) : -1;
    if (!doc || index < 0) return;
    if (this.book.apply(doc, index, { type: 'start', node, attempt: ref.attempt, now: this.now() }))
      this.events.emit('job:started', { ...ref, node });
  }

  jobPaused(node: string, ref: Holding, until: number | null): void {
    const doc = this.book.batches.get(ref.batchId);
    const index = doc ? this.book.position(doc, ref.job) : -1;
    if (doc && index >= 0) this.book.apply(doc, index, { type: 'pause', node, attempt: ref.attempt, until, now: this.now() });
  }

  jobResumed(node: string, ref: Holding): void {
    const doc = this.book.batches.get(ref.batchId);
    const index = doc ? this.book.position(doc, ref.job) : -1;
    if (doc && index >= 0) this.book.apply(doc, index, { type: 'resume', node, attempt: ref.attempt, now: this.now() });
  }

  nodePaused(name: string, until: number | null): void {
    const node = this.nodes.get(name);
    if (!node) return;
    node.record.paused = { since: this.now(), until };
    this.saveNodes();
  }

  nodeResumed(name: string): void {
    const node = this.nodes.get(name);
    if (!node) return;
    node.record.paused = null;
    this.saveNodes();
    this.scheduleSoon();
  }

  jobLog(ref: Holding, stream: 'stdout' | 'stderr', data: string): void {
    this.events.emit('job:log', { ...ref, stream, data });
  }

  jobRejected(node: string, ref: Holding, reason: string): void {
    const live = this.nodes.get(node);
    if (live?.holding && sameRun(live.holding, ref)) live.holding = null;
    const doc = this.book.batches.get(ref.batchId);
    const index = doc ? this.book.position(doc, ref.job) : -1;
    if (doc && index >= 0) {
      const s = doc.jobs[index].status;
      if (isActive(s) && s.node === node && s.attempt === ref.attempt) this.requeue(doc, index, node, `rejected: ${reason}`);
    }
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
    for (const i of this.book.heldBy(doc, node)) this.requeue(doc, i, node, 'build failed');
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
   * files move into the archive and any other run of the job is cancelled.
   */
  jobFinished(node: string, msg: FinishedRun): Promise<'archived' | 'discarded' | { missing: string[] }> {
    // One report per job at a time: two runs finishing together must not both pass the
    // "not done yet" check while the first is still moving its files into the archive.
    const key = `${msg.batchId}\0${msg.job}`;
    const run = () => this.finishRun(node, msg);
    const next = (this.finishing.get(key) ?? Promise.resolve()).then(run, run);
    this.finishing.set(key, next);
    const forget = () => { if (this.finishing.get(key) === next) this.finishing.delete(key); };
    next.then(forget, forget);
    return next;
  }

  private async finishRun(node: string, msg: FinishedRun): Promise<'archived' | 'discarded' | { missing: string[] }> {
    const live = this.nodes.get(node);
    const doc = this.book.batches.get(msg.batchId);
    const index = doc ? this.book.position(doc, msg.job) : -1;
    const release = () => {
      if (live?.holding && sameRun(live.holding, msg)) live.holding = null;
      if (live) live.record.lastBatch = msg.batchId;
      this.scheduleSoon();
    };
    if (!doc || index < 0 || doc.jobs[index].status.state === 'done') {
      const s = doc && index >= 0 ? doc.jobs[index].status : null;
      // A re-sent report of the run that is already archived (the ack was lost in a restart).
      const same = s?.state === 'done' && s.node === node && s.attempt === msg.attempt && s.result.outcome === msg.result.outcome;
      if (doc && !same) await this.opts.archive.discardStaging(msg.batchId, msg.job, msg.attempt);
      release();
      return same ? 'archived' : 'discarded';
    }
    const missing = await this.opts.archive.missingStaged(msg.batchId, msg.job, msg.attempt, msg.files);
    if (missing.length) return { missing };
    const before = doc.jobs[index];
    const r = transition(before, { type: 'finish', node, attempt: msg.attempt, result: msg.result, now: this.now(), maxRetries: doc.spec.maxRetries });
    if (!r.ok) {
      await this.opts.archive.discardStaging(msg.batchId, msg.job, msg.attempt);
      release();
      return 'discarded';
    }
    let archived = false;
    if (r.job.status.state === 'done') {
      try {
        await this.opts.archive.commit({
          batchId: doc.record.id, namespace: doc.record.namespace, batch: doc.record.name, job: msg.job, attempt: msg.attempt,
          node, result: msg.result, startedAt: msg.startedAt, endedAt: msg.endedAt, runMs: msg.runMs, files: msg.files,
          bytes: msg.files.reduce((a, f) => a + f.size, 0),
        });
        archived = true;
      } catch (err) {
        this.log(`archiving ${doc.record.name}/${msg.job} failed: ${(err as Error).message}; job re-queued`);
        this.requeue(doc, index, node, 'archive failed');
        release();
        return 'discarded';
      }
      // Use the agent's own run time (it excludes pauses and is exact) in the job record.
      const status = r.job.status;
      this.book.setJob(doc, index, { ...r.job, status: { ...status, startedAt: msg.startedAt, endedAt: msg.endedAt, runMs: msg.runMs } });
    } else {
      this.book.setJob(doc, index, r.job); // re-queued for a retry
      await this.opts.archive.discardStaging(msg.batchId, msg.job, msg.attempt);
    }
    // Every other run of the same job (a node that was lost and came back) loses: the one the
    // head had on record and any a node reported holding; each is told once.
    if (r.job.status.state === 'done') {
      const losers = new Map<string, number>();
      const other = before.status;
      if (isActive(other) && (other.node !== node || other.attempt !== msg.attempt)) losers.set(other.node, other.attempt);
      for (const n of this.nodes.values()) {
        if (n.record.name !== node && n.holding && n.holding.batchId === msg.batchId && n.holding.job === msg.job) losers.set(n.record.name, n.holding.attempt);
      }
      for (const [name, attempt] of losers) {
        this.nodes.get(name)?.link?.send({ type: 'cancel', batchId: msg.batchId, job: msg.job, attempt, reason: 'another run of this job finished first' });
      }
    }
    this.events.emit('job:finished', { batchId: msg.batchId, job: msg.job, node, attempt: msg.attempt, result: msg.result, archived });
    release();
    this.book.checkEnd(doc);
    return archived ? 'archived' : 'discarded';
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
    if (this.awaiting.size && this.now() < this.recoverUntil) return; // see `awaiting`
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

  liveNodes(): LiveNode[] {
    return [...this.nodes.values()];
  }
}

/** A `job-finished` report: the run, its result and its uploaded files. */
export type FinishedRun = Holding & { result: JobResult; startedAt: number; endedAt: number; runMs: number; files: ResultFile[] };
