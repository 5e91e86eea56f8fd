/**
 * Linux process figures for benchmarks, read from /proc: resident memory (now and peak), CPU
 * seconds and bytes written to storage. A {@link PeakSampler} polls a process while it runs,
 * because /proc/<pid> disappears the moment it exits (and VmHWM with it).
 */
import fs from 'node:fs';

export interface ProcStats {
  /** Resident set size now (VmRSS), bytes. */
  rssBytes: number;
  /** Peak resident set size over the process's life (VmHWM), bytes. */
  hwmBytes: number;
  /** User + system CPU time, seconds. */
  cpuSeconds: number;
  /** Bytes this process caused to be written to storage (/proc/<pid>/io write_bytes); null if unreadable. */
  writeBytes: number | null;
}

const CLOCK_TICKS = 100; // USER_HZ on Linux; `getconf CLK_TCK` is 100 on every mainstream kernel

/** One reading of `pid`, or null when the process is gone. */
export function readProcStats(pid: number): ProcStats | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name, which may itself contain spaces.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(rest[11]);
    const stime = Number(rest[12]);
    let writeBytes: number | null = null;
    try {
      writeBytes = Number(/^write_bytes:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? NaN);
    } catch {
      writeBytes = null;
    }
    return { rssBytes: kb('VmRSS'), hwmBytes: kb('VmHWM'), cpuSeconds: (utime + stime) / CLOCK_TICKS, writeBytes };
  } catch {
    return null;
  }
}

/**
 * Polls a process every `intervalMs` and keeps the last good reading and the largest RSS seen.
 * `mark()` records the current RSS as a baseline so a phase's growth can be reported.
 */
export class PeakSampler {
  last: ProcStats | null = null;
  peakRss = 0;
  private baseline = 0;
  /** VmHWM was reset by `mark()`, so it is the exact peak since then. */
  private hwmReset = false;
  private readonly timer: NodeJS.Timeout;

  constructor(readonly pid: number, intervalMs = 50) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  sample(): ProcStats | null {
    const s = readProcStats(this.pid);
    if (s) {
      this.last = s;
      this.peakRss = Math.max(this.peakRss, s.rssBytes, this.hwmReset ? s.hwmBytes : 0);
    }
    return s;
  }

  /**
   * Remember the RSS now and restart the peak from it. Writing 5 to clear_refs resets the
   * kernel's VmHWM (Linux ≥ 4.0, own processes), so peaks between polls are not missed.
   */
  mark(): void {
    try {
      fs.writeFileSync(`/proc/${this.pid}/clear_refs`, '5');
      this.hwmReset = true;
    } catch {
      this.hwmReset = false;
    }
    this.peakRss = 0;
    const s = this.sample();
    this.baseline = s?.rssBytes ?? 0;
    this.peakRss = this.baseline;
  }

  /** Peak RSS since `mark()` (or start), and how far it rose above the baseline. */
  peak(): { peakBytes: number; growthBytes: number; hwmBytes: number } {
    this.sample();
    return { peakBytes: this.peakRss, growthBytes: Math.max(0, this.peakRss - this.baseline), hwmBytes: this.last?.hwmBytes ?? 0 };
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
