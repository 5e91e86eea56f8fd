/**
 * What users do to batches: create one (then upload its inputs), submit it, kill it, remove it.
 * Each checks who may do it and returns errors as values; kill and remove tell the nodes running
 * the batch's jobs to cancel them.
 */
import { distinctInputs, type BatchSpec } from '../../shared/batch/spec.ts';
import { isActive } from '../../shared/job/state.ts';
import type { Archive } from '../archive/archive.ts';
import type { Store } from '../store/store.ts';
import type { BatchDoc, Principal } from '../state/types.ts';
import type { BatchBook } from './batch-book.ts';
import type { LiveNode } from './live-node.ts';
import { fail, type Result } from './result.ts';

export interface BatchCommandsDeps {
  book: BatchBook;
  store: Store;
  archive: Archive;
  /** The cluster's live nodes by name (where to send `cancel`). */
  nodes: Map<string, LiveNode>;
  now: () => number;
  newId: () => string;
  /** A batch became schedulable: run the scheduler soon. */
  scheduleSoon: () => void;
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
      if (names.has(j.name)) return fail(400, `duplicate job name '${j.name}'`);
      names.add(j.name);
    }
    const same = [...book.batches.values()].find((d) => d.record.namespace === spec.namespace && d.record.name === spec.name);
    let replaced: string | null = null;
    if (same && same.record.phase === 'uploading' && (owner.kind === 'admin' || same.record.owner === owner.name)) {
      book.batches.delete(same.record.id); // an earlier add that never finished uploading
    } else if (same) {
      if (!book.canManage(owner, same)) {
        // --replace would be refused too: suggest what this user can do instead.
        return fail(409, `batch '${spec.namespace}/${spec.name}' already exists and belongs to ${same.record.owner}; choose another batch_name or namespace`);
      }
      if (!replace) {
        const done = same.jobs.filter((j) => j.status.state === 'done').length;
        return fail(409, `batch '${spec.namespace}/${spec.name}' already exists (${same.jobs.length} jobs, ${done} done, owner ${same.record.owner}); add --replace to delete it and its archived results`);
      }
      await this.remove(same, owner.name);
      replaced = same.record.id;
    }
    const now = this.deps.now();
    const doc: BatchDoc = {
      record: {
        id: this.deps.newId(), namespace: spec.namespace, name: spec.name, owner: owner.name, createdAt: now, submittedAt: null,
        phase: 'uploading', endedAt: null, outcome: null, buildFailures: {}, inputsCleaned: false,
      },
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
    if (!doc) return fail(404, `no batch '${id}'`);
    if (!this.deps.book.canManage(principal, doc)) return fail(403, `batch ${id} belongs to ${doc.record.owner}`);
    if (doc.record.phase !== 'uploading') return { ok: true, value: doc };
    const missing: string[] = [];
    for (const f of distinctInputs(doc.spec)) if (!(await this.deps.archive.hasInput(f.sha256))) missing.push(`${f.alias} (${f.sha256.slice(0, 12)})`);
    if (missing.length) return fail(409, `inputs not uploaded yet: ${missing.join(', ')}`);
    // Written as active before it becomes active in memory: nothing is scheduled from a batch that
    // is not yet durable, and a failed write leaves it uploading (the client may submit again).
    const record = { ...doc.record, phase: 'active' as const, submittedAt: this.deps.now() };
    await this.deps.store.createBatch({ ...doc, record });
    doc.record.phase = record.phase;
    doc.record.submittedAt = record.submittedAt;
    this.deps.scheduleSoon();
    return { ok: true, value: doc };
  }

  /** Cancel a batch: queued jobs end as cancelled, running ones are killed on their nodes. */
  async kill(principal: Principal, ref: string): Promise<Result<{ doc: BatchDoc; cancelled: number; killing: number }>> {
    const { book } = this.deps;
    const found = book.find(ref);
    if (!found.ok) return found;
    const doc = found.value;
    if (!book.canManage(principal, doc)) return fail(403, `batch '${doc.record.namespace}/${doc.record.name}' belongs to ${doc.record.owner}; only its owner or an admin may kill it`);
    let cancelled = 0;
    let killing = 0;
    doc.jobs.forEach((job, i) => {
      if (job.status.state === 'done') return;
      if (isActive(job.status)) {
        const node = this.deps.nodes.get(job.status.node);
        node?.link?.send({ type: 'cancel', batchId: doc.record.id, job: job.name, attempt: job.status.attempt, reason: `batch killed by ${principal.name}` });
        killing++;
      }
      book.apply(doc, i, { type: 'cancel', by: principal.name, now: this.deps.now() });
      cancelled++;
    });
    if (doc.record.phase === 'active') doc.record.outcome = 'cancelled';
    book.checkEnd(doc);
    await this.deps.store.flush();
    return { ok: true, value: { doc, cancelled, killing } };
  }

  /** Delete a batch entirely (after kill): state, inputs reference, archive. */
  async remove(doc: BatchDoc, by: string): Promise<void> {
    for (const job of doc.jobs) {
      if (isActive(job.status)) {
        this.deps.nodes.get(job.status.node)?.link?.send({ type: 'cancel', batchId: doc.record.id, job: job.name, attempt: job.status.attempt, reason: `batch removed by ${by}` });
      }
    }
    this.deps.book.batches.delete(doc.record.id);
    await this.deps.store.deleteBatch(doc.record.id);
    await this.deps.archive.removeBatch(doc.record.namespace, doc.record.name);
    await this.deps.archive.discardStaging(doc.record.id);
  }
}
