/**
 * Derived indexes over one batch's jobs, kept in step with every write so the cluster never scans
 * a 10,000-job batch per message: job name → position, which jobs are queued (in submission
 * order), which are held by a node, and how many are not done yet.
 */
import { isActive, type Job } from '../../shared/job/state.ts';

export class JobIndex {
  private readonly byName = new Map<string, number>();
  private readonly queued = new Set<number>();
  private readonly active = new Set<number>();
  /** No queued job sits below this position (a hint that makes `firstQueued` cheap). */
  private queuedFloor = 0;
  private notDone = 0;

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
  }

  private untrack(i: number, job: Job): void {
    this.queued.delete(i);
    this.active.delete(i);
    if (job.status.state !== 'done') this.notDone--;
  }

  /** Every job is done. */
  allDone(): boolean {
    return this.notDone === 0;
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
