/**
 * The node's pause bookkeeping: whether the node is paused, until when, why, and how much of the
 * current job's wall time was spent paused. It does not touch processes; the agent listens to
 * {@link PauseController.onChange} and calls `JobProcess.pause()/resume()` (and tells the head).
 *
 * Rules:
 * - **Length.** `pause(ms)` ends by itself after `ms`; `pause(null)` lasts until `resume()`. Either
 *   way a pause is capped at `maxMs` (default 4 h) counted from when the node was first paused;
 *   pausing again while paused replaces the end time and reason but keeps `since` (so repeated
 *   extensions cannot get around the maximum, and paused time is counted once); only a pause
 *   kept past the maximum is restarted by a new `pause()`.
 * - **At the maximum.** When the cap (not the requested duration) ends a pause, `atMaximum`
 *   decides: `'resume'` (default) resumes; `'keep'` keeps the node paused with no end time until
 *   someone resumes it. A requested duration that ends before the cap always resumes.
 * - **Crash recovery.** A pause never outlives the agent process that made it. `pause.json`
 *   (written atomically on every change, removed on resume) lets a restarted agent see that it
 *   had a pause: {@link PauseController.recover} removes the file and reports the old pause, and
 *   the agent CONTINUES the job (adoption sends SIGCONT) — also when the pause had time left —
 *   because the issue asks that a crash never leaves a job stopped and nobody can tell whether the
 *   owner who paused still wants it; the owner can pause again with one click.
 * - **Run time.** {@link PauseController.pausedMs} is the paused time inside the current job
 *   (between `jobStarted()` and `jobEnded()`), so run time = wall time − paused time.
 *
 * Time and timers are injected ({@link Clock}) so the tests run without sleeping.
 */
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';

export type PauseReason = 'user' | 'head' | 'idle';

/** A pause in effect. */
export interface PauseRecord {
  /** Epoch ms the node was first paused. */
  since: number;
  /** Epoch ms the pause ends by itself; null only once a capped pause is kept (`atMaximum: 'keep'`). */
  until: number | null;
  reason: PauseReason;
  /** True when the maximum, not the requested duration, sets `until`. */
  capped: boolean;
}

export type ResumeCause = 'resumed' | 'expired' | 'maximum';

export type PauseEvent =
  | { type: 'paused'; pause: PauseRecord }
  | { type: 'resumed'; previous: PauseRecord; cause: ResumeCause };

/** What {@link PauseController.recover} found from an earlier agent process. */
export type Recovery =
  | { kind: 'none' }
  | {
      kind: 'ended';
      previous: PauseRecord;
      /** `expired`: its time was up anyway; `agent-restarted`: it had time left and is dropped. */
      cause: 'expired' | 'agent-restarted';
      /** Time the job may have spent stopped under that pause (since → now). */
      stoppedMs: number;
    };

export interface Clock {
  now(): number;
  /** Calls `fn` after `ms`; returns a cancel function. */
  setTimer(fn: () => void, ms: number): () => void;
}

export interface PauseControllerOptions {
  /** Where the pause is persisted, normally `<workdir>/pause.json`. */
  file: string;
  /** Longest pause (default {@link DEFAULT_MAX_PAUSE_MS}). */
  maxMs?: number;
  atMaximum?: 'resume' | 'keep';
  clock?: Clock;
  /** Called when pause.json cannot be written or removed; the pause itself still applies. */
  onPersistError?: (err: Error) => void;
}

/** The pause length the tray and CLI offer when none is given. */
export const DEFAULT_PAUSE_MS = 60 * 60 * 1000;
export const DEFAULT_MAX_PAUSE_MS = 4 * 60 * 60 * 1000;

// setTimeout cannot wait longer than this; longer waits re-arm.
const MAX_TIMER_MS = 2 ** 31 - 1;

export const realClock: Clock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

export class PauseController {
  private pause_: PauseRecord | null = null;
  private cancelTimer: (() => void) | null = null;
  private readonly listeners = new Set<(event: PauseEvent) => void>();
  private readonly clock: Clock;
  private readonly maxMs: number;
  private job: { startedAt: number; pausedMs: number } | null = null;

  constructor(private readonly opts: PauseControllerOptions) {
    this.clock = opts.clock ?? realClock;
    this.maxMs = opts.maxMs ?? DEFAULT_MAX_PAUSE_MS;
    if (!(this.maxMs > 0)) throw new RangeError(`maxMs must be positive, got ${this.maxMs}`);
  }

  /** The pause in effect, or null. */
  current(): PauseRecord | null {
    return this.pause_ ? { ...this.pause_ } : null;
  }

  isPaused(): boolean {
    return this.pause_ !== null;
  }

  /** The pause as the agent snapshot carries it. */
  snapshot(): { since: number; until: number | null } | null {
    return this.pause_ ? { since: this.pause_.since, until: this.pause_.until } : null;
  }

  /**
   * Pauses the node for `durationMs` (null = until resumed), capped at the maximum. Pausing while
   * paused replaces end time and reason. Throws RangeError for a non-positive duration (callers
   * validate user input with parseDuration first).
   */
  pause(durationMs: number | null, reason: PauseReason): PauseRecord {
    if (durationMs !== null && !(Number.isFinite(durationMs) && durationMs > 0)) {
      throw new RangeError(`pause duration must be a positive number of ms, got ${durationMs}`);
    }
    const now = this.clock.now();
    let since = this.pause_?.since ?? now;
    if (this.pause_ && now >= since + this.maxMs) {
      // A pause kept past the maximum: pausing again starts a fresh one (with its own cap).
      if (this.job) this.job.pausedMs = this.pausedMs();
      since = now;
    }
    const cap = since + this.maxMs;
    const wanted = durationMs === null ? Infinity : now + durationMs;
    const record: PauseRecord = { since, until: Math.min(wanted, cap), reason, capped: wanted > cap };
    this.apply(record);
    return { ...record };
  }

  /**
   * Resumes the node. With `onlyIf`, resumes only a pause of that reason (so the idle policy
   * cannot end a pause the owner asked for). Returns whether a pause ended.
   */
  resume(onlyIf?: PauseReason): boolean {
    if (!this.pause_ || (onlyIf && this.pause_.reason !== onlyIf)) return false;
    this.end('resumed');
    return true;
  }

  /**
   * Call once when the agent starts, before anything else: removes a pause left by an earlier
   * agent process and reports it. The node starts unpaused (see the crash recovery rule above).
   */
  recover(): Recovery {
    let previous: PauseRecord | null = null;
    try {
      previous = parseRecord(JSON.parse(readFileSync(this.opts.file, 'utf8')));
    } catch {
      // missing or unreadable: nothing to recover
    }
    this.remove();
    if (!previous) return { kind: 'none' };
    const now = this.clock.now();
    const expired = previous.until !== null && now >= previous.until;
    return { kind: 'ended', previous, cause: expired ? 'expired' : 'agent-restarted', stoppedMs: Math.max(0, now - previous.since) };
  }

  /** Listens to pause changes; returns the unsubscribe function. */
  onChange(listener: (event: PauseEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts the paused-time account of a new job (a job may start while the node is paused). */
  jobStarted(): void {
    this.job = { startedAt: this.clock.now(), pausedMs: 0 };
  }

  /** Paused time within the current job so far (0 without a job). */
  pausedMs(): number {
    if (!this.job) return 0;
    const open = this.pause_ ? this.clock.now() - Math.max(this.pause_.since, this.job.startedAt) : 0;
    return this.job.pausedMs + Math.max(0, open);
  }

  /** Ends the current job's account and returns its paused time. */
  jobEnded(): number {
    const total = this.pausedMs();
    this.job = null;
    return total;
  }

  /** Cancels the timer (the agent is shutting down); the persisted pause stays for recover(). */
  dispose(): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
  }

  private apply(record: PauseRecord): void {
    this.pause_ = record;
    this.persist(record);
    this.arm();
    this.emit({ type: 'paused', pause: { ...record } });
  }

  private end(cause: ResumeCause): void {
    const previous = this.pause_;
    if (!previous) return;
    if (this.job) this.job.pausedMs = this.pausedMs();
    this.pause_ = null;
    this.dispose();
    this.remove();
    this.emit({ type: 'resumed', previous: { ...previous }, cause });
  }

  private arm(): void {
    this.dispose();
    const until = this.pause_?.until;
    if (until == null) return;
    const wait = Math.min(Math.max(0, until - this.clock.now()), MAX_TIMER_MS);
    this.cancelTimer = this.clock.setTimer(() => this.onTimer(), wait);
  }

  private onTimer(): void {
    this.cancelTimer = null;
    const p = this.pause_;
    if (!p || p.until === null) return;
    if (this.clock.now() < p.until) return this.arm();
    if (!p.capped) return this.end('expired');
    if ((this.opts.atMaximum ?? 'resume') === 'resume') return this.end('maximum');
    this.apply({ ...p, until: null });
  }

  private emit(event: PauseEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }

  private persist(record: PauseRecord): void {
    const tmp = `${this.opts.file}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify({ version: 1, ...record }) + '\n');
      renameSync(tmp, this.opts.file);
    } catch (err) {
      this.opts.onPersistError?.(err as Error);
    }
  }

  private remove(): void {
    try {
      unlinkSync(this.opts.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.opts.onPersistError?.(err as Error);
    }
  }
}

function parseRecord(value: unknown): PauseRecord | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  const reasons: unknown[] = ['user', 'head', 'idle'];
  if (typeof v.since !== 'number' || !(typeof v.until === 'number' || v.until === null)) return null;
  if (!reasons.includes(v.reason)) return null;
  return { since: v.since, until: v.until, reason: v.reason as PauseReason, capped: v.capped === true };
}
