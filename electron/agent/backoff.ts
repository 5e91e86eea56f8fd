/** Reconnect delays: exponential from `minMs` to `maxMs` with jitter, reset after a good connection. */
export class Backoff {
  private attempt = 0;
  constructor(private readonly minMs = 250, private readonly maxMs = 10_000, private readonly random: () => number = Math.random) {}

  next(): number {
    const base = Math.min(this.maxMs, this.minMs * 2 ** this.attempt);
    this.attempt++;
    return Math.round(base * (0.75 + 0.5 * this.random()));
  }

  reset(): void {
    this.attempt = 0;
  }
}
