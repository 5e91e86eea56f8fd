/**
 * A fake {@link Clock} for unit tests of the agent core: time stands still until the test moves
 * it with {@link FakeClock.advance}, which fires every timer that falls due, in order, letting
 * promise continuations run between them.
 */
import type { Clock, TimerHandle } from '../../electron/agent/clock.ts';

interface Timer { id: number; at: number; every: number | null; fn: () => void }

/** Lets pending promise continuations (and I/O callbacks already queued) run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class FakeClock implements Clock {
  private time: number;
  private nextId = 1;
  private readonly timers = new Map<number, Timer>();

  constructor(start = Date.UTC(2026, 0, 1, 12)) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.add(fn, ms, null);
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    return this.add(fn, ms, Math.max(1, ms));
  }

  clearTimeout(timer: TimerHandle | null | undefined): void {
    if (timer) this.timers.delete((timer as { id: number }).id);
  }

  clearInterval(timer: TimerHandle | null | undefined): void {
    this.clearTimeout(timer);
  }

  /** Timers armed now (for asserting that an error path released them). */
  get pending(): number {
    return this.timers.size;
  }

  /** The delays of the timers armed now, from now, soonest first. */
  delays(): number[] {
    return [...this.timers.values()].map((t) => t.at - this.time).sort((a, b) => a - b);
  }

  /** Moves time forward by `ms`, firing what falls due on the way (each at its own time). */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    await settle();
    for (;;) {
      const due = [...this.timers.values()].filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.time = Math.max(this.time, due.at);
      if (due.every === null) this.timers.delete(due.id);
      else due.at += due.every;
      due.fn();
      await settle();
    }
    this.time = end;
    await settle();
  }

  private add(fn: () => void, ms: number, every: number | null): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { id, at: this.time + Math.max(0, ms), every, fn });
    return { id };
  }
}
