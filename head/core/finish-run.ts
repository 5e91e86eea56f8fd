/**
 * The end of a run: a node reports a finished run whose files it uploaded to the run's staging,
 * or sent inline in the report (small ones; written to the same staging here).
 * The first run of a job to finish wins: its files are checked against its report and move into
 * the archive, and every other run of the job is cancelled; a later or refused report is
 * discarded with its staged files. Only the connection holding the run's lease may report it.
 */
import type { InlineFile, ResultFile } from '../../shared/protocol/messages.ts';
import type { JobResult } from '../../shared/job/state.ts';
import { transition } from '../../shared/job/transition.ts';
import type { Archive, InlineStaged } from '../archive/archive.ts';
import { isDiskFull } from '../archive/disk-space.ts';
import type { BatchBook } from './batch-book.ts';
import type { HeadEventBus } from './events.ts';
import type { LiveNode, Sender } from './live-node.ts';
import type { Lease, RunLeases } from './run-leases.ts';

/** A `job-finished` report: the run, its result, its files, and the bytes of those sent inline. */
export interface FinishedRun { runId: string; result: JobResult; startedAt: number; endedAt: number; runMs: number; files: ResultFile[]; skipped?: string[]; inline?: InlineFile[] }

/**
 * What the head answers a `job-finished` report with (`result-ack`); `later`: nothing now (the
 * archive disk is full), the agent keeps its result and reports again when its wait for an answer
 * runs out.
 */
export type FinishOutcome = 'archived' | 'discarded' | 'later' | { missing: string[] };

export interface RunFinisherDeps {
  book: BatchBook;
  /** What of the archive a report needs (a fake in unit tests). */
  archive: Pick<Archive, 'stageInline' | 'checkStaged' | 'commit' | 'discardStaging'>;
  events: HeadEventBus;
  leases: RunLeases;
  /** The cluster's live nodes by name (read: who holds what). */
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
   * Handle `from`'s report of a finished run. Resolves to `archived` (this run is the job's
   * result, also for a re-sent report of an archived run), `discarded` (also when `from` does not
   * hold the run: then nothing changes), or the files to upload again.
   */
  jobFinished(from: Sender, msg: FinishedRun): Promise<FinishOutcome> {
    const lease = this.deps.leases.check(from, msg.runId, 'job-finished');
    if (!lease) return Promise.resolve('discarded');
    // One report per job at a time: two runs finishing together must not both pass the
    // "not done yet" check while the first is still moving its files into the archive.
    const key = `${lease.batchId}\0${lease.job}`;
    const run = () => this.finishRun(lease, msg);
    const next = (this.finishing.get(key) ?? Promise.resolve()).then(run, run);
    this.finishing.set(key, next);
    const forget = () => { if (this.finishing.get(key) === next) this.finishing.delete(key); };
    next.then(forget, forget);
    return next;
  }

  private async finishRun(lease: Lease, msg: FinishedRun): Promise<FinishOutcome> {
    const { book, archive } = this.deps;
    const { runId, batchId, job: jobName, node } = lease;
    const live = this.deps.nodes.get(node);
    const doc = book.batches.get(batchId);
    const index = doc ? book.position(doc, jobName) : -1;
    const release = () => {
      this.deps.leases.end(runId);
      live?.runs.delete(runId);
      if (live) live.record.lastBatch = batchId;
      this.deps.scheduleSoon();
    };
    if (!doc || index < 0 || doc.jobs[index].status.state === 'done') {
      const s = doc && index >= 0 ? doc.jobs[index].status : null;
      // A re-sent report of the run that is already archived (the ack was lost in a restart).
      const same = s?.state === 'done' && s.runId === runId && s.result.outcome === msg.result.outcome;
      // Its files (if any) are never wanted: the job's archive folder is complete or another run's.
      if (doc) await archive.discardStaging(batchId, runId);
      release();
      return same ? 'archived' : 'discarded';
    }
    // A report carrying all its files inline, into a staging folder it made itself, is checked
    // and committed from what stageInline wrote, in this same turn of the event loop (archive.ts).
    let staged: InlineStaged = { refused: [], fresh: null };
    try {
      if (msg.inline?.length) staged = archive.stageInline(batchId, runId, msg.files, msg.inline);
    } catch (err) {
      if (!isDiskFull(err)) throw err;
      this.deps.log(`archive disk full: cannot stage the inline results of ${doc.record.namespace}/${doc.record.name}/${jobName} from ${node} yet (${(err as NodeJS.ErrnoException).code}); waiting for its next report`);
      this.deps.diskFull?.();
      return 'later';
    }
    const refused = staged.refused;
    if (refused.length) this.deps.log(`run ${runId} of ${doc.record.name}/${jobName} on ${node}: inline ${refused.join(', ').slice(0, 300)} not on its file list or differ from the reported size or sha256; asked again`);
    const checked = await archive.checkStaged(batchId, runId, msg.files, staged.fresh);
    if (checked.mismatched.length) {
      this.deps.log(`run ${runId} of ${doc.record.name}/${jobName} on ${node}: staged ${checked.mismatched.join(', ')} differ from the reported size or sha256; not archived, asked again`);
    }
    if (checked.missing.length) return { missing: checked.missing };
    const before = doc.jobs[index];
    // The agent's own run times (exact, without pauses) become the job's: the transition sets them.
    const times = { startedAt: msg.startedAt, endedAt: msg.endedAt, runMs: msg.runMs };
    const r = transition(before, { type: 'finish', runId, node, attempt: lease.attempt, result: msg.result, now: this.deps.now(), maxRetries: doc.spec.maxRetries, times });
    if (!r.ok) {
      this.deps.log(`ignored: ${r.error}`);
      await archive.discardStaging(batchId, runId);
      release();
      return 'discarded';
    }
    let archived = false;
    if (r.job.status.state === 'done') {
      try {
        await archive.commit({
          batchId, namespace: doc.record.namespace, batch: doc.record.name, job: jobName, runId, attempt: lease.attempt,
          node, result: msg.result, startedAt: msg.startedAt, endedAt: msg.endedAt, runMs: msg.runMs, files: msg.files,
          bytes: msg.files.reduce((a, f) => a + f.size, 0), ...(msg.skipped?.length ? { skipped: msg.skipped } : {}),
        }, staged.fresh);
        archived = true;
      } catch (err) {
        if (isDiskFull(err)) {
          // Keep the staged files and the run: the agent reports again later, nothing re-runs.
          this.deps.log(`archive disk full: cannot archive ${doc.record.namespace}/${doc.record.name}/${jobName} from ${node} yet (${(err as NodeJS.ErrnoException).code}); waiting for its next report`);
          this.deps.diskFull?.();
          return 'later';
        }
        this.deps.log(`archiving ${doc.record.name}/${jobName} failed: ${(err as Error).message}; job re-queued`);
        book.requeue(doc, index, runId, 'archive failed');
        await archive.discardStaging(batchId, runId).catch(() => {});
        release();
        return 'discarded';
      }
      book.setJob(doc, index, r.job);
      this.cancelLosers(lease);
    } else {
      book.setJob(doc, index, r.job); // re-queued for a retry
      await archive.discardStaging(batchId, runId);
    }
    this.deps.events.emit('job:finished', { batchId, job: jobName, node, runId, attempt: lease.attempt, result: msg.result, archived });
    release();
    book.checkEnd(doc);
    return archived ? 'archived' : 'discarded';
  }

  /**
   * Every other run of the same job (say, of a node that was lost and came back) loses: each is
   * told once, on the connection holding it, and may upload nothing more.
   */
  private cancelLosers(winner: Lease): void {
    for (const l of this.deps.leases.forJob(winner.batchId, winner.job)) {
      if (l.runId === winner.runId || l.ended) continue;
      l.ended = true;
      l.link?.send({ type: 'cancel', runId: l.runId, reason: 'another run of this job finished first' });
      void this.deps.archive.discardStaging(l.batchId, l.runId).catch(() => {});
    }
  }
}
