/**
 * Injected fakes for unit tests of head/core: a clock the test moves, a link that records what
 * the head sends an agent, a store that keeps what was touched in memory, and small builders of
 * batches and hellos. No disk, no sockets, no timers of their own.
 */
import assert from 'node:assert/strict';
import type { BatchSpec } from '../../../../shared/batch/spec.ts';
import type { HeadMessage, HeldJob, Hello } from '../../../../shared/protocol/messages.ts';
import { PROTOCOL_VERSION } from '../../../../shared/protocol/messages.ts';
import { hashRunKey } from '../../../../shared/job/run-id.ts';
import type { Job, JobState } from '../../../../shared/job/state.ts';
import type { AgentLink } from '../../../../head/core/live-node.ts';
import { BatchBook } from '../../../../head/core/batch-book.ts';
import { RunLeases } from '../../../../head/core/run-leases.ts';
import { HeadEventBus, type HeadEvents } from '../../../../head/core/events.ts';
import { submittedRecord, uploadingRecord } from '../../../../head/state/batch-record.ts';
import type { BatchDoc, MetaDoc, RunRecord } from '../../../../head/state/types.ts';
import type { LoadedState, Store } from '../../../../head/store/store.ts';

export const CAPS = { tags: [], physicalCores: 4, logicalCores: 4, memoryBytes: 2 ** 34, gpus: [] };

/** A clock the test moves by hand. */
export class FakeClock {
  constructor(public t = 1_000_000) {}
  readonly now = (): number => this.t;
  advance(ms: number): number { this.t += ms; return this.t; }
}

/** An agent's connection as the head sees it: records every message and the close. */
export class FakeLink implements AgentLink {
  readonly sent: HeadMessage[] = [];
  closed: { code: number; reason: string } | null = null;
  send(m: HeadMessage): void { this.sent.push(m); }
  close(code: number, reason: string): void { this.closed = { code, reason }; }
  of<T extends HeadMessage['type']>(type: T): Extract<HeadMessage, { type: T }>[] {
    return this.sent.filter((m): m is Extract<HeadMessage, { type: T }> => m.type === type);
  }
}

/** A store in memory: counts what was touched; `recordRuns` and the durable writes resolve at once. */
export class FakeStore implements Store {
  readonly touchedJobs: { batchId: string; index: number }[] = [];
  readonly touchedRecords: string[] = [];
  readonly runs: RunRecord[] = [];
  meta: MetaDoc | null = null;
  constructor(private readonly loaded: LoadedState = { meta: { users: [], nodes: [] }, batches: [], runs: [] }) {}
  async load(): Promise<LoadedState> { return this.loaded; }
  async createBatch(): Promise<void> {}
  touchBatchRecord(doc: BatchDoc): void { this.touchedRecords.push(doc.record.id); }
  async saveBatchRecordNow(doc: BatchDoc): Promise<void> { this.touchedRecords.push(doc.record.id); }
  touchJob(doc: BatchDoc, index: number): void { this.touchedJobs.push({ batchId: doc.record.id, index }); }
  async recordRuns(runs: RunRecord[]): Promise<void> { this.runs.push(...runs); }
  touchMeta(meta: MetaDoc): void { this.meta = meta; }
  async saveMetaNow(meta: MetaDoc): Promise<void> { this.meta = meta; }
  async deleteBatch(): Promise<void> {}
  async flush(): Promise<void> {}
  bytesWritten(): number { return 0; }
  async close(): Promise<void> {}
}

/** Every event the bus emitted, in order, by name. */
export function recordEvents(events: HeadEventBus): { of<K extends keyof HeadEvents>(name: K): HeadEvents[K][0][]; names: string[] } {
  const log: { name: keyof HeadEvents; payload: unknown }[] = [];
  const names: (keyof HeadEvents)[] = ['job:assigned', 'job:started', 'job:finished', 'job:requeued', 'batch:ended', 'job:changed', 'batch:changed', 'node:changed', 'node:connected', 'node:lost'];
  for (const name of names) (events as unknown as { on(n: string, f: (p: unknown) => void): void }).on(name, (payload) => { log.push({ name, payload }); });
  return {
    of: <K extends keyof HeadEvents>(name: K) => log.filter((e) => e.name === name).map((e) => e.payload as HeadEvents[K][0]),
    get names() { return log.map((e) => e.name); },
  };
}

export function spec(jobs: string[], over: Partial<BatchSpec> = {}): BatchSpec {
  return {
    namespace: 'ns', name: 'b', kind: 'shell', capabilities: [], resources: {}, maxRetries: 0,
    requiredMounts: [], initFiles: [], jobs: jobs.map((name) => ({ name, command: 'true', files: [] })), ...over,
  };
}

/** An active batch `id` with jobs in the given states (queued when not given). */
export function activeBatch(id: string, jobs: Record<string, JobState | undefined>, over: Partial<BatchSpec> = {}, attempts = 1): BatchDoc {
  const names = Object.keys(jobs);
  const record = submittedRecord(uploadingRecord({ id, namespace: 'ns', name: id, owner: 'alice', createdAt: 0, buildFailures: {} }), 10);
  return {
    record,
    spec: spec(names, { name: id, ...over }),
    jobs: names.map((name): Job => ({ batchId: id, name, attempts, retries: 0, status: jobs[name] ?? { state: 'queued', since: 0 } })),
  };
}

/** A run of job `job` of batch `batchId` on `node`, with key `key-<runId>` (as the run journal holds it). */
export function runRecord(runId: string, batchId: string, job: string, node: string, attempt = 1): RunRecord {
  return { runId, batchId, job, node, attempt, keyHash: hashRunKey(`key-${runId}`), at: 0 };
}

/** A held run as an agent reports it in hello, proving it with the key of {@link runRecord}. */
export function held(runId: string, state: HeldJob['state'], extra: Partial<HeldJob> = {}): HeldJob {
  return { runId, runKey: `key-${runId}`, state, ...extra };
}

export function hello(name: string, heldRuns: HeldJob[] = [], built: string[] = []): Hello {
  return { type: 'hello', protocol: PROTOCOL_VERSION, agentVersion: 'test', name, capabilities: CAPS, held: heldRuns, built };
}

/** The state of job `name` of `doc`. */
export function stateOf(doc: BatchDoc, name: string): JobState {
  const job = doc.jobs.find((j) => j.name === name);
  assert.ok(job, `no job ${name}`);
  return job.status;
}

/** A job running as `runId` on `node` (started at 500, never paused). */
export function running(runId: string, node = 'a', attempt = 1): JobState {
  return { state: 'running', node, runId, attempt, startedAt: 500, pausedMs: 0 };
}

/**
 * The parts every head/core test builds first: a fake clock and store, an event bus whose events
 * are recorded, the log lines, the run leases of `runs` (as loaded after a restart: no link holds
 * them yet) and a batch book holding `docs`.
 */
export function coreParts(docs: BatchDoc[] = [], runs: RunRecord[] = []) {
  const clock = new FakeClock();
  const store = new FakeStore();
  const events = new HeadEventBus();
  const seen = recordEvents(events);
  const logs: string[] = [];
  const log = (line: string) => { logs.push(line); };
  const leases = new RunLeases(log);
  leases.load(runs);
  const book = new BatchBook({ store, events, now: clock.now, log });
  for (const doc of docs) book.batches.set(doc.record.id, doc);
  return { clock, store, events, seen, logs, log, leases, book };
}
