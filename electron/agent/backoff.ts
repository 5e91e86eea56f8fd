import { DEFAULT_RECONNECT_CAP_MS, RECONNECT_JITTER } from '../../shared/protocol/reconnect.ts';

/** Reconnect delays: exponential from `minMs` to `maxMs` with jitter, reset after a good connection. */
export class Backoff {
  private attempt = 0;
  constructor(private readonly minMs = 250, private maxMs = DEFAULT_RECONNECT_CAP_MS, private readonly random: () => number = Math.random) {}

  /** The next delay: never more than `maxMs × (1 + jitter)`. */
  next(): number {
    const base = Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.round(base * (1 - RECONNECT_JITTER + 2 * RECONNECT_JITTER * this.random()));
  }

  /**
   * Change the largest base delay (the head announced its node timeout, see
   * `shared/protocol/reconnect.ts`); kept across resets.
   */
  capAt(maxMs: number): void {
    this.maxMs = Math.max(this.minMs, maxMs);
  }

  reset(): void {
    this.attempt = 0;
  }
}
