/**
 * What users do to batches: create one (then upload its inputs), submit it, kill it, remove it.
 * Each checks who may do it and returns errors as values; kill and remove tell the nodes running
 * the batch's jobs to cancel them.
 */
import { distinctInputs, type BatchSpec } from '../../shared/batch/spec.ts';
import { isActive, type JobResult } from '../../shared/job/state.ts';
import { isFailure, isRetryable } from '../../shared/job/transition.ts';
import type { Archive } from '../archive/archive.ts';
import type { Store } from '../store/store.ts';
import type { BatchDoc, Principal } from '../state/types.ts';
import { reopenedRecord, submittedRecord, uploadingRecord } from '../state/batch-record.ts';
import type { BatchBook } from './batch-book.ts';
import type { HeadEventBus } from './events.ts';
import { linkOf, type LiveNode } from './live-node.ts';
import type { RunLeases } from './run-leases.ts';
import { fail, type Result } from './result.ts';

export interface BatchCommandsDeps {
  book: BatchBook;
  store: Store;
  archive: Archive;
  /** The cluster's live nodes by name (where to send `cancel`). */
  nodes: Map<string, LiveNode>;
  /** Which connection holds which run (where to send `cancel`). */
  leases: RunLeases;
  now: () => number;
  newId: () => string;
  /** A batch became schedulable: run the scheduler soon. */
  scheduleSoon: () => void;
  /** Where `batch:changed` is announced. */
  events?: HeadEventBus;
}

/** What `retry` did: the jobs re-queued, or (none re-queued) the inputs the head needs first. */
export interface RetryOutcome {
  doc: BatchDoc;
  retried: string[];
  missing: { error: string; files: { sha256: string; alias: string }[] } | null;
}

export class BatchCommands {
  constructor(private readonly deps: BatchCommandsDeps) {}

  /**
   * Register a batch (phase `uploading`) whose inputs the client then uploads. A batch with the
   * same namespace/name is refused unless `replace`, which removes the old one and its archive.
   */
  async create(owner: Principal, spec: BatchSpec, replace: boolean): Promise<Result<{ doc: BatchDoc; missing: string[]; replaced: string | null }>> {
    const { book } = this.deps;
    // Every check that can refuse comes before an old batch is removed: a refused --replace keeps it.
    const names = new Set<string>();
    for (const j of spec.jobs) {
      if (names.has(j.name)) return fail('invalid', `duplicate job name '${j.name}'`);
      names.add(j.name);
    }
    const same = [...book.batches.values()].find((d) => d.record.namespace === spec.namespace && d.record.name === spec.name);
    let replaced: string | null = null;
    if (same && same.record.phase === 'uploading' && (owner.kind === 'admin' || same.record.owner === owner.name)) {
      book.batches.delete(same.record.id); // an earlier add that never finished uploading
    } else if (same) {
      if (!book.canManage(owner, same)) {
        // --replace would be refused too: suggest what this user can do instead.
        return fail('conflict', `batch '${spec.namespace}/${spec.name}' already exists and belongs to ${same.record.owner}; choose another batch_name or namespace`);
      }
      if (!replace) {
        const done = same.jobs.filter((j) => j.status.state === 'done').length;
        return fail('conflict', `batch '${spec.namespace}/${spec.name}' already exists (${same.jobs.length} jobs, ${done} done, owner ${same.record.owner}); add --replace to delete it and its archived results`);
      }
      await this.remove(same, owner.name);
      replaced = same.record.id;
    }
    const now = this.deps.now();
    const doc: BatchDoc = {
      record: uploadingRecord({ id: this.deps.newId(), namespace: spec.namespace, name: spec.name, owner: owner.name, createdAt: now, buildFailures: {} }),
      spec,
      jobs: spec.jobs.map((j) => ({ batchId: '', name: j.name, attempts: 0, retries: 0, status: { state: 'queued', since: now } })),
    };
    for (const j of doc.jobs) j.batchId = doc.record.id;
    book.batches.set(doc.record.id, doc);
    const missing: string[] = [];
    for (const f of distinctInputs(spec)) if (!(await this.deps.archive.hasInput(f.sha256))) missing.push(f.sha256);
    return { ok: true, value: { doc, missing, replaced } };
  }

  /** Make an uploaded batch schedulable; durable before it resolves. */
  async submit(principal: Principal, id: string): Promise<Result<BatchDoc>> {
    const doc = this.deps.book.batches.get(id);
    if (!doc) return fail('not-found', `no batch '${id}'`);
    if (!this.deps.book.canManage(principal, doc)) return fail('forbidden', `batch ${id} belongs to ${doc.record.owner}`);
    if (doc.record.phase !== 'uploading') return { ok: true, value: doc };
    const missing: string[] = [];
    for (const f of distinctInputs(doc.spec)) if (!(await this.deps.archive.hasInput(f.sha256))) missing.push(`${f.alias} (${f.sha256.slice(0, 12)})`);
    if (missing.length) return fail('conflict', `inputs not uploaded yet: ${missing.join(', ')}`);
    // Written as active before it becomes active in memory: nothing is scheduled from a batch that
    // is not yet durable, and a failed write leaves it uploading (the client may submit again).
    const record = submittedRecord(doc.record, this.deps.now());
    await this.deps.store.createBatch({ ...doc, record });
    doc.record = record;
    this.deps.scheduleSoon();
    this.deps.events?.emit('batch:changed', { batchId: doc.record.id });
    return { ok: true, value: doc };
  }

  /** Cancel a batch: queued jobs end as cancelled, running ones are killed on their nodes. */
  async kill(principal: Principal, ref: string): Promise<Result<{ doc: BatchDoc; cancelled: number; killing: number }>> {
    const { book } = this.deps;
    const found = book.find(ref);
    if (!found.ok) return found;
    const doc = found.value;
    if (!book.canManage(principal, doc)) return fail('forbidden', `batch '${doc.record.namespace}/${doc.record.name}' belongs to ${doc.record.owner}; only its owner or an admin may kill it`);
    let cancelled = 0;
    let killing = 0;
    doc.jobs.forEach((job, i) => {
      if (job.status.state === 'done') return;
      if (isActive(job.status)) {
        this.cancelRun(job.status, `batch killed by ${principal.name}`);
        killing++;
      }
      book.apply(doc, i, { type: 'cancel', by: principal.name, now: this.deps.now() });
      cancelled++;
    });
    book.checkEnd(doc, 'cancelled');
    await this.deps.store.flush();
    return { ok: true, value: { doc, cancelled, killing } };
  }

  /**
   * Re-queue a batch's failed or cancelled jobs (`failedOnly`: only failed ones; `names`: only
   * these, each of which must be retryable). The batch becomes active again; each job's archived
   * result stays in place until its new run finishes and replaces it. Refused when an input the
   * jobs need is no longer on the head (it is deleted when a batch ends): the error lists them.
   */
  async retry(principal: Principal, ref: string, opts: { failedOnly?: boolean; names?: string[] }): Promise<Result<RetryOutcome>> {
    const { book } = this.deps;
    const found = book.find(ref);
    if (!found.ok) return found;
    const doc = found.value;
    const label = `${doc.record.namespace}/${doc.record.name}`;
    if (!book.canManage(principal, doc)) return fail('forbidden', `batch '${label}' belongs to ${doc.record.owner}; only its owner or an admin may retry it`);
    if (doc.record.phase === 'uploading') return fail('conflict', `batch '${label}' was never submitted`);
    const pick = (result: JobResult) => (opts.failedOnly ? isFailure(result) : isRetryable(result));
    const what = opts.failedOnly ? 'failed' : 'failed or cancelled';
    let positions: number[];
    if (opts.names?.length) {
      positions = [];
      for (const name of new Set(opts.names)) {
        const i = book.position(doc, name);
        if (i < 0) return fail('not-found', `batch '${label}' has no job '${name}'`);
        const s = doc.jobs[i].status;
        if (s.state !== 'done' || !pick(s.result)) return fail('conflict', `job '${name}' is ${s.state === 'done' ? s.result.outcome : s.state}; only ${what} jobs can be retried`);
        positions.push(i);
      }
    } else {
      positions = doc.jobs.flatMap((j, i) => (j.status.state === 'done' && pick(j.status.result) ? [i] : []));
      if (!positions.length) return fail('conflict', `batch '${label}' has no ${what} jobs to retry`);
    }
    const missing: { sha256: string; alias: string }[] = [];
    const needed = new Map<string, string>();
    for (const f of doc.spec.initFiles) needed.set(f.sha256, f.alias);
    for (const i of positions) for (const f of doc.spec.jobs[i].files) needed.set(f.sha256, f.alias);
    for (const [sha256, alias] of needed) if (!(await this.deps.archive.hasInput(sha256))) missing.push({ sha256, alias });
    if (missing.length) {
      const error = `the head no longer has inputs of batch '${label}' (deleted when it ended): ${missing.map((m) => `${m.alias} (${m.sha256.slice(0, 12)})`).join(', ')}; run \`distribute retry ${label} --config CONFIG\` to upload them again`;
      return { ok: true, value: { doc, retried: [], missing: { error, files: missing } } };
    }
    const now = this.deps.now();
    const retried: string[] = [];
    const superseded = { ...doc.record.retried };
    for (const i of positions) {
      const job = doc.jobs[i];
      const attempt = job.status.state === 'done' ? job.status.attempt : job.attempts;
      if (!book.apply(doc, i, { type: 'retry', now })) continue;
      superseded[job.name] = Math.max(attempt, job.attempts);
      retried.push(job.name);
    }
    doc.record = reopenedRecord(doc.record, superseded);
    this.deps.store.touchBatchRecord(doc);
    await this.deps.store.flush();
    this.deps.scheduleSoon();
    this.deps.events?.emit('batch:changed', { batchId: doc.record.id });
    return { ok: true, value: { doc, retried, missing: null } };
  }

  /** Tell the connection holding the job's run (else its node) to cancel it. */
  private cancelRun(s: { node: string; runId: string }, reason: string): void {
    const node = this.deps.nodes.get(s.node);
    const link = this.deps.leases.get(s.runId)?.link ?? (node ? linkOf(node) : null);
    link?.send({ type: 'cancel', runId: s.runId, reason });
  }

  /** Delete a batch entirely (after kill): state, inputs reference, archive. */
  async remove(doc: BatchDoc, by: string): Promise<void> {
    for (const job of doc.jobs) {
      if (isActive(job.status)) this.cancelRun(job.status, `batch removed by ${by}`);
    }
    this.deps.book.batches.delete(doc.record.id);
    this.deps.leases.dropBatch(doc.record.id);
    await this.deps.store.deleteBatch(doc.record.id);
    this.deps.events?.emit('batch:changed', { batchId: doc.record.id });
    await this.deps.archive.removeBatch(doc.record.namespace, doc.record.name);
    await this.deps.archive.discardStaging(doc.record.id);
  }
}
