/**
 * The archive disk's free space, as the head acts on it: below `--min-free-disk` no new job is
 * assigned (finished results still come in), and after a write failed for lack of space
 * (ENOSPC, EDQUOT) the disk counts as full until its free space grows again. Uploads refused
 * meanwhile are answered 507, and agents keep their results and retry (electron/agent/upload-retry.ts).
 * status, nodes and the dashboard show {@link DiskState}.
 */
import fs from 'node:fs/promises';
import { statfsSync } from 'node:fs';
import { formatSize } from '../../shared/format.ts';

/** What status and nodes show about the archive disk. */
export interface DiskState {
  /** ok; low (below the minimum: no new jobs); full (a write failed for lack of space). */
  state: 'ok' | 'low' | 'full';
  freeBytes: number | null;
  totalBytes: number | null;
  minFreeBytes: number;
  /** Why no new job is assigned (null when state is ok). */
  reason: string | null;
  checkedAt: number;
  /**
   * Finished results refused for lack of space in the last two minutes, waiting on their nodes
   * (the agents retry at least every 30 s): `namespace/batch/job` and since when.
   */
  waiting: { job: string; since: number }[];
}

/** A refused result counts as waiting this long after its last refusal. */
const WAITING_MS = 120_000;

export interface DiskWatchOptions {
  /** A folder on the archive's file system. */
  dir: string;
  minFreeBytes: number;
  log: (line: string) => void;
  now?: () => number;
  /** Free and total bytes of the file system holding `dir` (injected in tests). */
  statfs?: (dir: string) => Promise<{ free: number; total: number }>;
  /** The same, synchronously (for the check right before assigning). */
  statfsSync?: (dir: string) => { free: number; total: number };
  /** The state changed (ok/low/full): the scheduler may assign again. */
  onChange?: (state: DiskState) => void;
}

/** True for the errors a full disk (or quota) gives. */
export function isDiskFull(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

async function statfsBytes(dir: string): Promise<{ free: number; total: number }> {
  const s = await fs.statfs(dir);
  return { free: s.bavail * s.bsize, total: s.blocks * s.bsize };
}

/** Stored results of at least this many bytes since the last reading make holdReason read again. */
const STORED_RECHECK_BYTES = 1 << 20;

/** Keeps the archive disk's state; `check()` re-reads it (on a timer and after every failure). */
export class DiskWatch {
  private current: DiskState;
  /** Free bytes measured just after a write failed for lack of space; null when none failed. */
  private freeAtFull: number | null = null;
  /** Results refused for lack of space, by run id. */
  private readonly waiting = new Map<string, { job: string; since: number; last: number }>();
  private timer: NodeJS.Timeout | null = null;
  /** The most bytes of finished results pending since the last reading (see holdReason). */
  private pendingAtReading = 0;
  private readonly now: () => number;
  private readonly statfs: (dir: string) => Promise<{ free: number; total: number }>;
  private readonly statfsSync: (dir: string) => { free: number; total: number };

  constructor(private readonly opts: DiskWatchOptions) {
    this.now = opts.now ?? Date.now;
    this.statfs = opts.statfs ?? statfsBytes;
    this.statfsSync = opts.statfsSync ?? ((dir) => {
      const st = statfsSync(dir);
      return { free: st.bavail * st.bsize, total: st.blocks * st.bsize };
    });
    this.current = { state: 'ok', freeBytes: null, totalBytes: null, minFreeBytes: opts.minFreeBytes, reason: null, checkedAt: 0, waiting: [] };
  }

  get state(): DiskState {
    return this.current;
  }

  /** Re-read the free space every `intervalMs` (and now). */
  start(intervalMs = 5000): Promise<DiskState> {
    this.timer = setInterval(() => void this.check(), intervalMs);
    this.timer.unref();
    return this.check();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * A write into the archive failed for lack of space (the caller logs what failed). The disk
   * counts as full until its free space grows past what is free now.
   */
  async noteFull(refused?: { runId: string; job: string }): Promise<void> {
    if (refused) {
      const was = this.waiting.get(refused.runId);
      this.waiting.set(refused.runId, { job: refused.job, since: was?.since ?? this.now(), last: this.now() });
    }
    let free: number | null = null;
    try {
      free = (await this.statfs(this.opts.dir)).free;
    } catch { /* unknown: any later growth clears it */ }
    this.freeAtFull = Math.min(this.freeAtFull ?? Infinity, free ?? 0);
    await this.check();
  }

  /** A result of run `runId` was stored: it no longer waits. */
  stored(runId: string): void {
    if (this.waiting.delete(runId)) this.current = { ...this.current, waiting: this.current.waiting.filter((w) => this.waitingJobs().has(w.job)) };
  }

  private waitingJobs(): Set<string> {
    return new Set([...this.waiting.values()].map((w) => w.job));
  }

  /** Re-read the free space and update the state. */
  async check(): Promise<DiskState> {
    let space: { free: number; total: number } | null = null;
    try {
      space = await this.statfs(this.opts.dir);
    } catch (err) {
      this.opts.log(`cannot read the archive disk's free space: ${(err as Error).message}`);
    }
    return this.update(space);
  }

  /**
   * Why no new job may be assigned now, or null. Reads the free space again (synchronously, one
   * cheap system call) when the last reading is over a second old, so a result that just filled
   * the disk stops the very next assignment. `pendingBytes`: results of jobs that ended and are
   * still uploading or being archived; they count as used already, so a node freed by its job's
   * exit gets no new job when that result will take the disk below the minimum.
   */
  holdReason(pendingBytes = 0): string | null {
    // Results stored since the last reading (the pending bytes fell) are on the disk but not in
    // that reading: a pass right after a big result's commit would see the space it took as free.
    const stored = this.pendingAtReading - pendingBytes >= STORED_RECHECK_BYTES;
    if (stored || this.now() - this.current.checkedAt > 1000) {
      try {
        this.update(this.statfsSync(this.opts.dir));
        this.pendingAtReading = pendingBytes;
      } catch { /* keep the last reading */ }
    }
    this.pendingAtReading = Math.max(this.pendingAtReading, pendingBytes);
    if (this.current.reason) return this.current.reason;
    const free = this.current.freeBytes;
    if (pendingBytes > 0 && free !== null && free - pendingBytes < this.opts.minFreeBytes) {
      return `archive disk has ${formatSize(free)} free and ${formatSize(pendingBytes)} of finished results still to store, below --min-free-disk ${formatSize(this.opts.minFreeBytes)}: no new jobs are assigned`;
    }
    return null;
  }

  private update(space: { free: number; total: number } | null): DiskState {
    const free = space?.free ?? null;
    const total = space?.total ?? null;
    const { minFreeBytes } = this.opts;
    // Full until the space grows by more than a little (a few removed temporary files).
    if (this.freeAtFull !== null && free !== null && free > this.freeAtFull + Math.max(1 << 20, minFreeBytes / 100)) this.freeAtFull = null;
    const before = this.current.state;
    let state: DiskState['state'] = 'ok';
    let reason: string | null = null;
    if (this.freeAtFull !== null) {
      state = 'full';
      reason = `archive disk full (${free === null ? 'free space unknown' : `${formatSize(free)} free`}): no new jobs are assigned; finished results wait on their nodes`;
    } else if (free !== null && free < minFreeBytes) {
      state = 'low';
      reason = `archive disk has ${formatSize(free)} free, below --min-free-disk ${formatSize(minFreeBytes)}: no new jobs are assigned`;
    }
    const now = this.now();
    for (const [run, w] of this.waiting) if (now - w.last > WAITING_MS) this.waiting.delete(run);
    const waiting = [...this.waiting.values()].map(({ job, since }) => ({ job, since })).sort((a, b) => a.since - b.since);
    this.current = { state, freeBytes: free, totalBytes: total, minFreeBytes, reason, checkedAt: now, waiting };
    if (state !== before) {
      this.opts.log(state === 'ok' ? `archive disk has space again (${formatSize(free ?? 0)} free): assigning jobs` : reason!);
      this.opts.onChange?.(this.current);
    }
    return this.current;
  }
}
