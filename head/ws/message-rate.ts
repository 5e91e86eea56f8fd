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

/**
 * Default per-node limit: 1000 messages per second sustained, bursts of 5000. A node's budget
 * must cover all of its runs at once: each chatty run sends up to 5 output messages a second
 * (log-forwarder.ts) and each job about 4 lifecycle messages (started, exited, finished, log), so
 * a 64-core node packing 64 noisy or very short jobs needs several hundred a second (the earlier
 * 200 would have cut such a node off).
 */
export const DEFAULT_RATE_LIMIT: RateLimit = { perSecond: 1000, burst: 5000 };

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
