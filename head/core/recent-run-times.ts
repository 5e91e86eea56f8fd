/**
 * How long the last few runs of each active batch took, to tell batches of short jobs, whose
 * nodes may take a job in hand (`assign` with `ahead`, head/scheduler/schedule.ts step 8): for
 * them the round trip between two jobs is a real part of the work. A batch of long jobs never
 * gets one, so a job never waits long in a busy node's hand while another node is free.
 */

/** A batch counts as short when the median of its last runs is at most this long (ms). */
export const SHORT_RUN_MS = 1000;
/** How many of a batch's last runs count, and how many it needs before it can count as short. */
const KEPT = 9;
const NEEDED = 3;

export class RecentRunTimes {
  private readonly byBatch = new Map<string, number[]>();

  /** A run of `batchId` ended after `runMs`. */
  note(batchId: string, runMs: number): void {
    const times = this.byBatch.get(batchId) ?? [];
    times.push(runMs);
    if (times.length > KEPT) times.shift();
    this.byBatch.set(batchId, times);
  }

  /** Whether `batchId`'s recent runs were short (see {@link SHORT_RUN_MS}). */
  short(batchId: string): boolean {
    const times = this.byBatch.get(batchId);
    if (!times || times.length < NEEDED) return false;
    const sorted = [...times].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] <= SHORT_RUN_MS;
  }

  /** The batch ended: forget it. */
  forget(batchId: string): void {
    this.byBatch.delete(batchId);
  }
}
