/**
 * Time as the agent core sees it: the current time and timers. The agent and its collaborators
 * take a {@link Clock} instead of calling `Date.now()` and `setTimeout` directly, so unit tests
 * drive pauses, heartbeats, reconnect backoff and ack timeouts with a fake clock
 * (test/helpers/fake-clock.ts) and need no sleeps.
 */

/** An armed timer; only good for handing back to the clock that made it. */
export type TimerHandle = object;

/** Wall-clock time and timers. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(timer: TimerHandle | null | undefined): void;
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearInterval(timer: TimerHandle | null | undefined): void;
}

/** The real clock: `Date.now()` and Node's timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (t) => clearTimeout(t as NodeJS.Timeout | undefined),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (t) => clearInterval(t as NodeJS.Timeout | undefined),
};
