/**
 * Derived indexes over one batch's jobs, kept in step with every write so the cluster never scans
 * a 10,000-job batch per message: job name → position, which jobs are queued (in submission
 * order), which are held by a node, how many are not done yet, and the jobs per state and outcome
 * a batch view shows (status and the dashboard's frames read them for every batch).
 */
import { isActive, type Job, type JobState } from '../../shared/job/state.ts';

/** Jobs per state, and done jobs per outcome. */
export interface JobCounts {
  queued: number; assigned: number; running: number; paused: number;
  succeeded: number; failed: number; cancelled: number; buildFailed: number;
}

export function noCounts(): JobCounts {
  return { queued: 0, assigned: 0, running: 0, paused: 0, succeeded: 0, failed: 0, cancelled: 0, buildFailed: 0 };
}

/** The count a job in state `s` belongs to (killed, spawn-failed and rejected jobs count as failed). */
export function countKey(s: JobState): keyof JobCounts {
  if (s.state !== 'done') return s.state;
  switch (s.result.outcome) {
    case 'succeeded': return 'succeeded';
    case 'cancelled': return 'cancelled';
    case 'build-failed': return 'buildFailed';
    default: return 'failed';
  }
}

export class JobIndex {
  private readonly byName = new Map<string, number>();
  private readonly queued = new Set<number>();
  private readonly active = new Set<number>();
  /** No queued job sits below this position (a hint that makes `firstQueued` cheap). */
  private queuedFloor = 0;
  private notDone = 0;
  private readonly tally = noCounts();

  constructor(private readonly jobs: Job[]) {
    jobs.forEach((job, i) => {
      this.byName.set(job.name, i);
      this.track(i, job);
    });
  }

  position(name: string): number {
    return this.byName.get(name) ?? -1;
  }

  /** Replace job `i` and update the indexes. */
  set(i: number, job: Job): void {
    this.untrack(i, this.jobs[i]);
    this.jobs[i] = job;
    this.track(i, job);
  }

  private track(i: number, job: Job): void {
    if (job.status.state === 'queued') {
      this.queued.add(i);
      if (i < this.queuedFloor) this.queuedFloor = i;
    } else if (isActive(job.status)) this.active.add(i);
    if (job.status.state !== 'done') this.notDone++;
    this.tally[countKey(job.status)]++;
  }

  private untrack(i: number, job: Job): void {
    this.queued.delete(i);
    this.active.delete(i);
    if (job.status.state !== 'done') this.notDone--;
    this.tally[countKey(job.status)]--;
  }

  /** Every job is done. */
  allDone(): boolean {
    return this.notDone === 0;
  }

  /** Jobs per state and outcome now (the same as `countOutcomes` of the jobs, without the scan). */
  counts(): JobCounts {
    return { ...this.tally };
  }

  queuedCount(): number {
    return this.queued.size;
  }

  activeCount(): number {
    return this.active.size;
  }

  /** Positions of jobs held by a node (assigned, running, paused). */
  activePositions(): number[] {
    return [...this.active];
  }

  /** Names of the first `limit` queued jobs in submission order. */
  firstQueued(limit: number): string[] {
    const out: string[] = [];
    if (this.queued.size === 0) return out;
    let i = this.queuedFloor;
    while (i < this.jobs.length && !this.queued.has(i)) i++;
    this.queuedFloor = i;
    for (; i < this.jobs.length && out.length < limit; i++) if (this.queued.has(i)) out.push(this.jobs[i].name);
    return out;
  }
}
