/**
 * The head's batches and their jobs: lookup by reference, the one place a job is replaced (through
 * `transition()`, keeping the per-batch indexes and the store in step), and the end of a batch.
 * Node concerns (who holds what, messages to agents) live in node-registry.ts and the cluster.
 */
import { isActive, type Job } from '../../shared/job/state.ts';
import { transition, type JobEvent } from '../../shared/job/transition.ts';
import type { Archive } from '../archive/archive.ts';
import type { Store } from '../store/store.ts';
import type { BatchDoc, Principal } from '../state/types.ts';
import type { BatchEnd, BatchOutcome } from '../../shared/batch/batch-end.ts';
import { endedRecord } from '../state/batch-record.ts';
import type { HeadEventBus } from './events.ts';
import { countKey, JobIndex, noCounts, type JobCounts } from './job-index.ts';
import { fail, type Result } from './result.ts';

export interface BatchBookDeps {
  store: Store;
  events: HeadEventBus;
  now: () => number;
  log: (line: string) => void;
}

export class BatchBook {
  readonly batches = new Map<string, BatchDoc>();
  private readonly indexes = new WeakMap<BatchDoc, JobIndex>();

  constructor(private readonly deps: BatchBookDeps) {}

  /** Find a batch by id, `namespace/name`, or a name unique across namespaces. */
  find(ref: string): Result<BatchDoc> {
    const byId = this.batches.get(ref);
    if (byId) return { ok: true, value: byId };
    const slash = ref.indexOf('/');
    const matches = [...this.batches.values()].filter((d) =>
      slash >= 0 ? `${d.record.namespace}/${d.record.name}` === ref : d.record.name === ref);
    if (matches.length === 0) return fail('not-found', `no batch '${ref}'`);
    if (matches.length > 1) return fail('conflict', `'${ref}' names several batches (${matches.map((d) => `${d.record.namespace}/${d.record.name}`).join(', ')}): use namespace/name or the id`);
    return { ok: true, value: matches[0] };
  }

  /** The owner of a batch and admins may change it. */
  canManage(principal: Principal, doc: BatchDoc): boolean {
    return principal.kind === 'admin' || (principal.kind === 'user' && principal.name === doc.record.owner);
  }

  index(doc: BatchDoc): JobIndex {
    let index = this.indexes.get(doc);
    if (!index) {
      index = new JobIndex(doc.jobs);
      this.indexes.set(doc, index);
    }
    return index;
  }

  /** Position of job `name` in the batch, or -1. */
  position(doc: BatchDoc, name: string): number {
    return this.index(doc).position(name);
  }

  /** Positions of the batch's jobs that node `node` holds (by the head's record). */
  heldBy(doc: BatchDoc, node: string): number[] {
    return this.index(doc).activePositions().filter((i) => {
      const s = doc.jobs[i].status;
      return isActive(s) && s.node === node;
    });
  }

  /** Apply a job event, persist it (coalesced), and report whether it was possible. */
  apply(doc: BatchDoc, index: number, event: JobEvent): boolean {
    const r = transition(doc.jobs[index], event);
    if (!r.ok) {
      this.deps.log(`ignored: ${r.error}`);
      return false;
    }
    this.setJob(doc, index, r.job);
    return true;
  }

  /**
   * Put a job whose run `runId` ended without a result back in the queue (node lost, run rejected,
   * build or archive failed) and announce it (`job:requeued`). Nothing happens when the job no
   * longer holds that run. A lost run never counts against `maxRetries`.
   */
  requeue(doc: BatchDoc, index: number, runId: string, reason: string): void {
    const s = doc.jobs[index].status;
    const node = isActive(s) ? s.node : '';
    if (this.apply(doc, index, { type: 'lose', runId, now: this.deps.now(), reason }))
      this.deps.events.emit('job:requeued', { batchId: doc.record.id, job: doc.jobs[index].name, node, runId, reason });
  }

  /** Re-queue every job node `node` holds (by the head's record), e.g. because the node was lost. */
  requeueHeldBy(doc: BatchDoc, node: string, reason: string): void {
    for (const i of this.heldBy(doc, node)) {
      const s = doc.jobs[i].status;
      if (isActive(s)) this.requeue(doc, i, s.runId, reason);
    }
  }

  /** The only place a job of a batch is replaced: keeps the indexes and the store in step. */
  setJob(doc: BatchDoc, index: number, job: Job): void {
    this.index(doc).set(index, job);
    this.deps.store.touchJob(doc, index);
    this.deps.events.emit('job:changed', { batchId: doc.record.id, job: job.name });
  }

  /**
   * After a crash: a job whose result reached the archive (its `result.json` is written before the
   * agent is told) is done, whatever the coalesced store had time to write (the `recover` event).
   * A result of an attempt that `retry` superseded is not taken.
   */
  async recoverFromArchive(doc: BatchDoc, archive: Pick<Archive, 'readResult'>): Promise<void> {
    for (let i = 0; i < doc.jobs.length; i++) {
      const job = doc.jobs[i];
      if (job.status.state === 'done') continue;
      const stored = await archive.readResult(doc.record.namespace, doc.record.name, job.name);
      const superseded = doc.record.retried?.[job.name] ?? 0;
      if (stored && stored.batchId === doc.record.id && stored.attempt > superseded) {
        this.apply(doc, i, {
          type: 'recover', result: stored.result, node: stored.node, runId: stored.runId ?? null, attempt: stored.attempt,
          times: { startedAt: stored.startedAt, endedAt: stored.endedAt, runMs: stored.runMs },
        });
      }
    }
  }

  /**
   * End an active batch whose jobs are all done, and announce it (`batch:ended`): the one place a
   * batch ends. Its outcome is `outcome` when given (a kill: `cancelled`), else what the jobs say
   * (`build-failed` when every job failed to build, else `finished`).
   */
  checkEnd(doc: BatchDoc, outcome?: BatchOutcome): void {
    const r = doc.record;
    if (r.phase !== 'active') return;
    if (!this.index(doc).allDone()) return;
    const counts = this.index(doc).counts();
    const ended = endedRecord(r, outcome ?? (counts.buildFailed === doc.jobs.length ? 'build-failed' : 'finished'), this.deps.now());
    doc.record = ended;
    this.deps.store.touchBatchRecord(doc);
    const buildLogs = Object.values(ended.buildFailures);
    const end: BatchEnd = {
      batchId: ended.id, namespace: ended.namespace, batch: ended.name, owner: ended.owner,
      matrixUser: doc.spec.matrix, outcome: ended.outcome, succeeded: counts.succeeded, failed: counts.failed,
      cancelled: counts.cancelled, total: doc.jobs.length, runMs: ended.endedAt - ended.submittedAt,
      buildLog: ended.outcome === 'build-failed' ? buildLogs[buildLogs.length - 1] : undefined,
    };
    this.deps.events.emit('batch:ended', end);
  }
}

/** Jobs per state, and done jobs per outcome, counted over `jobs` (a batch's index keeps them too). */
export function countOutcomes(jobs: Job[]): JobCounts {
  const c = noCounts();
  for (const j of jobs) c[countKey(j.status)]++;
  return c;
}
