/**
 * The archive's bytes per namespace for `status`, without walking the whole archive on every
 * request: a lab archive holds hundreds of thousands of files, and status is asked often (CLI,
 * tray, scripts). The last walk's answer is served at once; when it is older than `maxAgeMs`, or
 * something was archived or removed since, one walk starts in the background (never two at a
 * time), and it is spaced so that walking takes at most a tenth of the time. Only the first
 * request waits for a walk.
 */
export class UsageCache<T> {
  private value: T | null = null;
  private measuredAt = 0;
  private tookMs = 0;
  private dirty = false;
  private walking: Promise<T> | null = null;

  constructor(private readonly measure: () => Promise<T>, private readonly maxAgeMs = 5000, private readonly now: () => number = Date.now) {}

  /** Something changed on disk: the next request starts a new walk (still answering the last one). */
  invalidate(): void {
    this.dirty = true;
  }

  /** The latest answer; starts a walk when it is stale (see the class comment). */
  async get(): Promise<T> {
    if (this.value === null) return this.walk();
    const age = this.now() - this.measuredAt;
    if ((this.dirty || age > this.maxAgeMs) && age >= this.tookMs * 10) void this.walk().catch(() => {});
    return this.value;
  }

  private walk(): Promise<T> {
    if (this.walking) return this.walking;
    const started = this.now();
    this.dirty = false;
    this.walking = this.measure().then((v) => {
      this.value = v;
      this.measuredAt = this.now();
      this.tookMs = this.measuredAt - started;
      return v;
    }).finally(() => { this.walking = null; });
    return this.walking;
  }
}
