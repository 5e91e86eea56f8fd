/**
 * The end of a run: a node reports a finished run whose files it uploaded to staging. The first
 * run of a job to finish wins: its files move into the archive and every other run of the job is
 * cancelled; a later or rejected report is discarded with its staged files.
 */
import type { ResultFile } from '../../shared/protocol/messages.ts';
import { isActive, type Job, type JobResult } from '../../shared/job/state.ts';
import { transition } from '../../shared/job/transition.ts';
import type { Archive } from '../archive/archive.ts';
import { isDiskFull } from '../archive/disk-space.ts';
import type { BatchBook } from './batch-book.ts';
import type { HeadEventBus } from './events.ts';
import { sameRun, type Holding, type LiveNode } from './live-node.ts';

/** A `job-finished` report: the run, its result and its uploaded files. */
export type FinishedRun = Holding & { result: JobResult; startedAt: number; endedAt: number; runMs: number; files: ResultFile[] };

/**
 * What the head answers a `job-finished` report with (`result-ack`); `later`: nothing now (the
 * archive disk is full), the agent keeps its result and reports again when its wait for an answer
 * runs out.
 */
export type FinishOutcome = 'archived' | 'discarded' | 'later' | { missing: string[] };

export interface RunFinisherDeps {
  book: BatchBook;
  archive: Archive;
  events: HeadEventBus;
  /** The cluster's live nodes by name (read: who holds what, and where to send `cancel`). */
  nodes: Map<string, LiveNode>;
  now: () => number;
  log: (line: string) => void;
  /** A node may have become free: run the scheduler soon. */
  scheduleSoon: () => void;
  /** A write into the archive failed for lack of space. */
  diskFull?: () => void;
}

/** Handles `job-finished` reports, one report per job at a time. */
export class RunFinisher {
  /** Per job (`batchId\0job`): the report being handled, so reports of one job run one by one. */
  private readonly finishing = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: RunFinisherDeps) {}

  /**
   * Handle node `node`'s report of a finished run. Resolves to `archived` (this run is the job's
   * result, also for a re-sent report of an archived run), `discarded`, or the files not staged yet.
   */
  jobFinished(node: string, msg: FinishedRun): Promise<FinishOutcome> {
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

  private async finishRun(node: string, msg: FinishedRun): Promise<FinishOutcome> {
    const { book, archive } = this.deps;
    const live = this.deps.nodes.get(node);
    const doc = book.batches.get(msg.batchId);
    const index = doc ? book.position(doc, msg.job) : -1;
    const release = () => {
      if (live?.holding && sameRun(live.holding, msg)) live.holding = null;
      if (live) live.record.lastBatch = msg.batchId;
      this.deps.scheduleSoon();
    };
    if (!doc || index < 0 || doc.jobs[index].status.state === 'done') {
      const s = doc && index >= 0 ? doc.jobs[index].status : null;
      // A re-sent report of the run that is already archived (the ack was lost in a restart).
      const same = s?.state === 'done' && s.node === node && s.attempt === msg.attempt && s.result.outcome === msg.result.outcome;
      if (doc && !same) await archive.discardStaging(msg.batchId, msg.job, msg.attempt);
      release();
      return same ? 'archived' : 'discarded';
    }
    const missing = await archive.missingStaged(msg.batchId, msg.job, msg.attempt, msg.files);
    if (missing.length) return { missing };
    const before = doc.jobs[index];
    const r = transition(before, { type: 'finish', node, attempt: msg.attempt, result: msg.result, now: this.deps.now(), maxRetries: doc.spec.maxRetries });
    if (!r.ok) {
      await archive.discardStaging(msg.batchId, msg.job, msg.attempt);
      release();
      return 'discarded';
    }
    let archived = false;
    if (r.job.status.state === 'done') {
      try {
        await archive.commit({
          batchId: doc.record.id, namespace: doc.record.namespace, batch: doc.record.name, job: msg.job, attempt: msg.attempt,
          node, result: msg.result, startedAt: msg.startedAt, endedAt: msg.endedAt, runMs: msg.runMs, files: msg.files,
          bytes: msg.files.reduce((a, f) => a + f.size, 0),
        });
        archived = true;
      } catch (err) {
        if (isDiskFull(err)) {
          // Keep the staged files and the run: the agent reports again later, nothing re-runs.
          this.deps.log(`archive disk full: cannot archive ${doc.record.namespace}/${doc.record.name}/${msg.job} from ${node} yet (${(err as NodeJS.ErrnoException).code}); waiting for its next report`);
          this.deps.diskFull?.();
          return 'later';
        }
        this.deps.log(`archiving ${doc.record.name}/${msg.job} failed: ${(err as Error).message}; job re-queued`);
        book.requeue(doc, index, node, 'archive failed');
        release();
        return 'discarded';
      }
      // Use the agent's own run time (it excludes pauses and is exact) in the job record.
      const status = r.job.status;
      book.setJob(doc, index, { ...r.job, status: { ...status, startedAt: msg.startedAt, endedAt: msg.endedAt, runMs: msg.runMs } });
      this.cancelLosers(before.status, node, msg);
    } else {
      book.setJob(doc, index, r.job); // re-queued for a retry
      await archive.discardStaging(msg.batchId, msg.job, msg.attempt);
    }
    this.deps.events.emit('job:finished', { batchId: msg.batchId, job: msg.job, node, attempt: msg.attempt, result: msg.result, archived });
    release();
    book.checkEnd(doc);
    return archived ? 'archived' : 'discarded';
  }

  /**
   * Every other run of the same job (a node that was lost and came back) loses: the one the head
   * had on record (`other`) and any a node reported holding; each is told once.
   */
  private cancelLosers(other: Job['status'], winner: string, msg: FinishedRun): void {
    const losers = new Map<string, number>();
    if (isActive(other) && (other.node !== winner || other.attempt !== msg.attempt)) losers.set(other.node, other.attempt);
    for (const n of this.deps.nodes.values()) {
      if (n.record.name !== winner && n.holding && n.holding.batchId === msg.batchId && n.holding.job === msg.job) losers.set(n.record.name, n.holding.attempt);
    }
    for (const [name, attempt] of losers) {
      this.deps.nodes.get(name)?.link?.send({ type: 'cancel', batchId: msg.batchId, job: msg.job, attempt, reason: 'another run of this job finished first' });
    }
  }
}
