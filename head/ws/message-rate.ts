/**
 * A per-socket message budget (token bucket): `burst` messages at once, refilled at `perSecond`.
 * A healthy agent sends a heartbeat every 2 s and batches its job output into a few messages a
 * second (log-forwarder.ts), so the default budget is far above what it needs, while a node
 * flooding the head with messages is cut off before it can starve everyone else.
 */

/** The rate limit of one agent socket. */
export interface RateLimit {
  /** Sustained messages per second. */
  perSecond: number;
  /** Messages allowed in a burst (bucket size). */
  burst: number;
}

/** Default per-node limit: 200 messages per second sustained, bursts of 1000. */
export const DEFAULT_RATE_LIMIT: RateLimit = { perSecond: 200, burst: 1000 };

export class MessageRate {
  private tokens: number;
  private last: number;

  constructor(private readonly limit: RateLimit, private readonly now: () => number = Date.now) {
    this.tokens = limit.burst;
    this.last = now();
  }

  /** Count one message; false when it is over the limit. */
  take(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.limit.burst, this.tokens + ((t - this.last) / 1000) * this.limit.perSecond);
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
