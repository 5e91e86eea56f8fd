/**
 * The head's compute nodes: every move of a node's presence (connected, leaving, awaited after a
 * restart, offline, lost: see live-node.ts), whether it is paused, the hello that reconciles
 * the runs a node still holds with the head's record, and the wait for nodes
 * after a head restart. Job state changes go through the batch book (`transition()`).
 */
import { INLINE_RESULT_BYTES, type Hello } from '../../shared/protocol/messages.ts';
import type { BatchSpec } from '../../shared/batch/spec.ts';
import { largestRequest } from '../../shared/batch/request.ts';
import { checkCompatibility } from '../scheduler/compatibility.ts';
import { isActive } from '../../shared/job/state.ts';
import { VERSION } from '../../shared/version.ts';
import { longestReconnectDelayMs } from '../../shared/protocol/reconnect.ts';
import type { BatchDoc, NodeRecord, Principal } from '../state/types.ts';
import type { BatchBook } from './batch-book.ts';
import type { HeadEventBus } from './events.ts';
import { linkOf, type AgentLink, type LiveNode } from './live-node.ts';
import type { Lease, RunLeases } from './run-leases.ts';
import { fail, type Result } from './result.ts';

/** A run as an agent reports it in its hello. */
type HeldRun = Hello['held'][number];

export interface NodeRegistryDeps {
  book: BatchBook;
  /** Runs a hello may claim (by node name and run key). */
  leases: RunLeases;
  events: HeadEventBus;
  now: () => number;
  log: (line: string) => void;
  /** Told to agents in their welcome (NodeLoss applies it); also sizes the wait after a restart. */
  nodeTimeoutMs: number;
  heartbeatMs: number;
  /** Persist the node records (coalesced). */
  saveRecords: (records: NodeRecord[]) => void;
  /** Something changed that may let a job be assigned: run the scheduler soon. */
  scheduleSoon: () => void;
}

export class NodeRegistry {
  readonly nodes = new Map<string, LiveNode>();
  /**
   * After a restart, nodes that were connected when the head went down are `awaited` (see
   * live-node.ts) until they say hello or are lost, at the latest until this moment. Until then no
   * job a node not back yet may hold is scheduled (see {@link mayBeHeldByAbsent}), because the
   * store may not yet know that the node runs it (job states are written coalesced), and handing
   * that job to a faster-reconnecting node would run it twice. Other jobs are scheduled at once
   * (all scheduling used to wait: a head restarted every few seconds under load then scheduled
   * almost nothing).
   */
  private recoverUntil = 0;
  private recoveryTimer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: NodeRegistryDeps) {}

  /**
   * Nodes the journal shows with a run but that have no stored record (a new node's first hello
   * and assign just before a crash: node records are saved coalesced, the journal is durable).
   * Scheduling waits for them like for awaited nodes, until they say hello or the window ends.
   */
  private readonly awaitedUnknown = new Set<string>();

  /**
   * Load the stored node records at startup; wait for those that were connected (see
   * `recoverUntil`). `lastRunAt` is the time of each node's latest journaled run: a node whose
   * record says offline but that was assigned a run after it went offline was in fact connected
   * at the crash (its reconnect never reached the coalesced record), so it is awaited too; a
   * journaled node without a record is awaited by name.
   */
  restore(records: NodeRecord[], lastRunAt: ReadonlyMap<string, number> = new Map()): void {
    for (const rec of records) {
      const runSince = (lastRunAt.get(rec.name) ?? -Infinity) > (rec.offlineSince ?? rec.lastSeen);
      const connected = rec.connectedAt !== null || runSince;
      // A node offline at shutdown stays offline since then (records of 0.1 lack the field: its
      // last sighting is the best guess); one connected at shutdown is offline from now.
      const offlineSince = connected ? this.deps.now() : rec.offlineSince ?? rec.lastSeen;
      // listening() sets the grace of both.
      const presence = connected ? { state: 'awaited' as const, graceUntil: 0 } : { state: 'offline' as const, graceUntil: null };
      this.nodes.set(rec.name, { record: { ...rec, connectedAt: null, offlineSince }, presence, runs: new Map() });
    }
    for (const name of lastRunAt.keys()) if (!this.nodes.has(name)) this.awaitedUnknown.add(name);
    // Until the head listens (listening() moves the window there), count from now.
    this.listening(this.deps.now());
  }

  /**
   * The head listens from `at` on: a restored node that has not said hello yet gets its longest
   * reconnect delay (it may have been backing off while the head was down) plus one node timeout,
   * counted from now, before it is lost; scheduling waits for the awaited nodes as long.
   */
  listening(at: number): void {
    if (this.recoveryTimer) clearTimeout(this.recoveryTimer);
    this.recoveryTimer = null;
    this.recoverUntil = 0;
    let awaited = false;
    for (const node of this.nodes.values()) {
      const p = node.presence;
      if (p.state !== 'awaited' && p.state !== 'offline') continue;
      const graceUntil = at + (node.record.reconnectWithinMs ?? longestReconnectDelayMs(undefined));
      node.presence = { state: p.state, graceUntil };
      if (p.state === 'awaited') {
        awaited = true;
        this.recoverUntil = Math.max(this.recoverUntil, graceUntil + this.deps.nodeTimeoutMs);
      }
    }
    if (this.awaitedUnknown.size) {
      awaited = true;
      this.recoverUntil = Math.max(this.recoverUntil, at + longestReconnectDelayMs(this.deps.nodeTimeoutMs) + this.deps.nodeTimeoutMs);
    }
    if (awaited) {
      this.recoveryTimer = setTimeout(() => this.deps.scheduleSoon(), this.recoverUntil - at + 10);
      this.recoveryTimer.unref();
    }
  }

  /** Still waiting for nodes after a restart: see `restore`, `recoverUntil` and {@link mayBeHeldByAbsent}. */
  recovering(): boolean {
    if (this.deps.now() >= this.recoverUntil) return false;
    if (this.awaitedUnknown.size) return true;
    for (const node of this.nodes.values()) if (node.presence.state === 'awaited') return true;
    return false;
  }

  /**
   * While recovering: may a node that is not back (not connected since the restart: awaited, or
   * offline already) be running job `job` of batch `batchId`? Only such jobs wait for the window;
   * every other queued job may go to a node that is back. The run journal is written before any
   * `assign` goes out, so a job a node may hold always has a run of that node there (even when the
   * job's own state never reached the disk). Every journaled run counts, not just the latest: a
   * lost node's own run may still be going. A node that is back reconciled its runs in `hello`.
   */
  mayBeHeldByAbsent(batchId: string, job: string): boolean {
    return this.deps.leases.forJob(batchId, job).some((l) => {
      const node = this.nodes.get(l.node);
      return !l.ended && !(node && linkOf(node));
    });
  }

  /** Persist the node records. */
  save(): void {
    this.deps.saveRecords([...this.nodes.values()].map((n) => n.record));
    this.deps.events.emit('node:changed', { node: null });
  }

  /**
   * An agent said hello: register it, reconcile the jobs it still holds, schedule. `credential` is
   * the node credential it was just enrolled with; the welcome hands it over.
   */
  hello(hello: Hello, link: AgentLink, credential?: string): void {
    const { book } = this.deps;
    const now = this.deps.now();
    const prev = this.nodes.get(hello.name);
    const prevLink = prev ? linkOf(prev) : null;
    if (prevLink && prevLink !== link) prevLink.close(4004, 'replaced by a new connection of the same node');
    const record: NodeRecord = {
      name: hello.name, owner: hello.owner ?? prev?.record.owner ?? null, capabilities: hello.capabilities,
      lastSeen: now, connectedAt: now, built: hello.built, lastBatch: prev?.record.lastBatch ?? null,
      paused: prev?.record.paused ?? null, agentVersion: hello.agentVersion, offlineSince: null,
      reconnectWithinMs: longestReconnectDelayMs(this.deps.nodeTimeoutMs),
    };
    const node: LiveNode = { record, presence: { state: 'connected', link, graceUntil: null }, runs: new Map(), takesAhead: hello.takesAhead === true };
    this.nodes.set(hello.name, node);
    this.awaitedUnknown.delete(hello.name);
    this.save();
    link.send({
      type: 'welcome', nodeId: hello.name, heartbeatMs: this.deps.heartbeatMs, timeoutMs: this.deps.nodeTimeoutMs, headVersion: VERSION,
      exitReports: true, inlineResults: INLINE_RESULT_BYTES,
      ...(credential ? { credential } : {}),
    });

    // A run counts as reported only when the node proves it holds it (run-leases.ts `claim`).
    const claimed: Lease[] = [];
    for (const held of hello.held) {
      const r = this.deps.leases.claim(hello.name, link, held);
      if (r.ok) claimed.push(r.lease);
      else if (held.state !== 'finished') link.send({ type: 'cancel', runId: held.runId, reason: `not a run of this node: ${r.reason}` });
      // A refused finished run is answered "discarded" when the agent re-sends its report.
    }
    // Jobs the head thinks this node holds but the node does not report: lost with the old process.
    for (const doc of book.batches.values()) {
      for (const i of book.heldBy(doc, hello.name)) {
        const s = doc.jobs[i].status;
        if (isActive(s) && !claimed.some((l) => l.runId === s.runId)) book.requeue(doc, i, s.runId, 'node restarted without the job');
      }
    }
    for (const lease of claimed) this.reconcileHeld(node, lease, hello.held.find((h) => h.runId === lease.runId) as HeldRun);
    // Batches that ended (or were removed) while the node was away: it may drop their files now.
    for (const batchId of hello.built) {
      const doc = book.batches.get(batchId);
      const holds = claimed.some((l) => l.batchId === batchId);
      if (!holds && (!doc || doc.record.phase === 'ended')) link.send({ type: 'forget-batch', batchId });
    }
    this.deps.events.emit('node:connected', { node: hello.name });
    this.deps.scheduleSoon();
  }

  /** Bring the head's record in line with a run the node proved it holds. */
  private reconcileHeld(node: LiveNode, lease: Lease, held: HeldRun): void {
    const { book } = this.deps;
    const name = node.record.name;
    const { runId } = lease;
    const doc = book.batches.get(lease.batchId);
    const index = doc ? book.position(doc, lease.job) : -1;
    const cancel = (reason: string) => linkOf(node)?.send({ type: 'cancel', runId, reason });
    if (!doc || index < 0) {
      if (held.state !== 'finished') cancel('unknown job');
      return;
    }
    const job = doc.jobs[index];
    const s = job.status;
    if (s.state === 'done') {
      // Finished (elsewhere, or this very run, archived before its ack got through): a run still
      // going is cancelled and may upload nothing more; a finished one's re-sent report is
      // answered. Neither is held against the node: nothing of it is wanted, and a holding would
      // keep the node busy until a report that a cancelled run may never send.
      lease.ended = true;
      if (held.state !== 'finished') cancel(s.runId === runId ? 'job already finished' : 'job already finished elsewhere');
      return;
    }
    node.runs.set(runId, { runId, batchId: lease.batchId, job: lease.job, attempt: lease.attempt });
    if (held.state === 'finished') {
      // The agent re-sends job-finished after welcome. A job the (restarted) head believes queued
      // must not be handed to another node meanwhile: it counts as running here until reported.
      if (s.state === 'queued') this.adopt(doc, index, lease);
      return;
    }
    if (isActive(s) && s.runId === runId) {
      if (s.state === 'assigned') book.apply(doc, index, { type: 'start', runId, now: this.deps.now() });
      this.syncPause(doc, index, runId, held);
      return;
    }
    if (s.state === 'queued') {
      this.adopt(doc, index, lease);
      this.syncPause(doc, index, runId, held);
      return;
    }
    // Active in another run: both go on; the first to finish wins and the other is cancelled.
    this.deps.log(`node ${name} returned with run ${runId} of ${doc.record.name}/${lease.job}, which also runs as ${s.runId} on ${s.node}; first to finish wins`);
  }

  /** Re-adopt a run the head had given up on (or forgot in a crash): it continues, nothing is re-run. */
  private adopt(doc: BatchDoc, index: number, lease: Lease): void {
    this.deps.book.apply(doc, index, { type: 'adopt', node: lease.node, runId: lease.runId, attempt: lease.attempt, now: this.deps.now() });
  }

  /** Bring the record's paused/running in line with what the agent reported. */
  private syncPause(doc: BatchDoc, index: number, runId: string, held: HeldRun): void {
    const { book } = this.deps;
    const s = doc.jobs[index].status;
    if (held.state === 'paused' && s.state === 'running') book.apply(doc, index, { type: 'pause', runId, until: held.pausedUntil ?? null, now: this.deps.now() });
    if (held.state === 'running' && s.state === 'paused') book.apply(doc, index, { type: 'resume', runId, now: this.deps.now() });
  }

  /** Any message or pong from the node: it is alive. */
  seen(name: string): void {
    const node = this.nodes.get(name);
    if (node) node.record.lastSeen = this.deps.now();
  }

  /** The agent is stopping on purpose: it takes no new job until it connects again. */
  leaving(name: string): void {
    const node = this.nodes.get(name);
    if (!node) return;
    if (node.presence.state === 'connected') node.presence = { ...node.presence, state: 'leaving' };
    node.record.leftAt = this.deps.now();
    this.save();
  }

  /** The node's socket closed (a newer connection of the same node is left alone). */
  disconnected(name: string, link: AgentLink): void {
    const node = this.nodes.get(name);
    if (!node || linkOf(node) !== link) return;
    node.presence = { state: 'offline', graceUntil: 'graceUntil' in node.presence ? node.presence.graceUntil : null };
    node.record.connectedAt = null;
    node.record.offlineSince = this.deps.now();
    this.save();
  }

  /** The agent reports that its owner paused the node. */
  paused(name: string, until: number | null): void {
    const node = this.nodes.get(name);
    if (!node) return;
    node.record.paused = { since: this.deps.now(), until };
    this.save();
  }

  /** The agent reports that the node runs jobs again. */
  resumed(name: string): void {
    const node = this.nodes.get(name);
    if (!node) return;
    node.record.paused = null;
    this.save();
    this.deps.scheduleSoon();
  }

  /**
   * The head itself did not run for a while (see NodeLoss.checkTimeouts): silence of every node
   * until `now` does not count.
   */
  excuseSilence(now: number): void {
    for (const node of this.nodes.values()) {
      const p = node.presence;
      if (p.state !== 'lost') node.presence = { ...p, graceUntil: Math.max(p.graceUntil ?? 0, now) };
    }
  }

  /** When `node`'s silence started to count (its last message, or the end of its grace). */
  silentSince(node: LiveNode): number {
    const p = node.presence;
    return Math.max(node.record.lastSeen, p.state === 'lost' ? 0 : p.graceUntil ?? 0);
  }

  /**
   * `node` was silent past the timeout (NodeLoss decides): close its socket, re-queue what it
   * holds (no retry used) and announce `node:lost`. Its leases stay: a lost node's own run may
   * still finish first.
   */
  lose(node: LiveNode): void {
    const { book } = this.deps;
    const now = this.deps.now();
    linkOf(node)?.close(4006, 'no heartbeat within the timeout');
    node.presence = { state: 'lost' };
    node.runs.clear();
    node.record.connectedAt = null;
    node.record.offlineSince ??= now;
    this.deps.log(`node ${node.record.name} lost (silent for ${now - node.record.lastSeen} ms)`);
    this.save();
    for (const doc of book.batches.values()) book.requeueHeldBy(doc, node.record.name, 'node lost');
    this.deps.events.emit('node:lost', { node: node.record.name, reason: 'timeout' });
    this.deps.scheduleSoon();
  }

  /**
   * Forget node `name`: close its socket with `closeCode`, re-queue what it holds (like a lost
   * node: this does not count against the job's retries or hand-backs) and drop its record.
   * Returns false when no such node is known.
   */
  forget(name: string, closeCode: number, reason: string): boolean {
    const node = this.nodes.get(name);
    if (!node) return false;
    this.nodes.delete(name);
    linkOf(node)?.close(closeCode, reason);
    node.presence = { state: 'lost' };
    for (const doc of this.deps.book.batches.values()) this.deps.book.requeueHeldBy(doc, name, reason);
    this.save();
    this.deps.events.emit('node:lost', { node: name, reason });
    this.deps.scheduleSoon();
    return true;
  }

  /** Names of nodes offline for longer than `maxOfflineMs` (see {@link forget}). */
  offlineLongerThan(maxOfflineMs: number): string[] {
    const now = this.deps.now();
    return [...this.nodes.values()]
      .filter((n) => linkOf(n) === null && n.record.offlineSince != null && now - n.record.offlineSince > maxOfflineMs)
      .map((n) => n.record.name);
  }

  /** Per known node: can it run a batch with these needs, and why not. */
  compatibility(spec: Pick<BatchSpec, 'capabilities' | 'resources' | 'request' | 'jobs'>): { node: string; connected: boolean; ok: boolean; reasons: string[] }[] {
    const need = { capabilities: spec.capabilities, resources: spec.resources, request: largestRequest(spec) };
    return [...this.nodes.values()].map((n) => {
      const c = checkCompatibility(n.record.capabilities, need);
      return { node: n.record.name, connected: linkOf(n) !== null, ok: c.ok, reasons: c.ok ? [] : c.reasons };
    });
  }

  /** Pause or resume a node on behalf of a user (admin or the node's owner). */
  control(principal: Principal, name: string, action: { type: 'pause'; until: number | null } | { type: 'resume' }): Result<NodeRecord> {
    const node = this.nodes.get(name);
    if (!node) return fail('not-found', `no node '${name}'`);
    if (principal.kind !== 'admin' && node.record.owner !== principal.name) return fail('forbidden', `only an admin or the owner of node '${name}' may ${action.type} it`);
    const link = linkOf(node);
    if (!link) return fail('conflict', `node '${name}' is not connected`);
    link.send(action);
    return { ok: true, value: node.record };
  }
}
