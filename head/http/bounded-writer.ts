/**
 * Writes live output (a followed job's log) to a response without letting a slow or stalled
 * reader grow the head's memory: while more than `limitBytes` wait in the response's buffer, new
 * output is skipped and counted; once the reader has caught up, a line says how much it missed
 * and output continues. The job's full log is still archived when it ends.
 */
import type { Writable } from 'node:stream';

/** Default: at most 1 MiB waits for one follower. */
export const FOLLOW_BUFFER_LIMIT = 1024 * 1024;

export class BoundedWriter {
  private skipped = 0;

  constructor(private readonly out: Writable, private readonly limitBytes = FOLLOW_BUFFER_LIMIT) {}

  /** Bytes dropped since the reader last caught up. */
  get skippedBytes(): number {
    return this.skipped;
  }

  /** Ends the response, saying first how much was skipped if the reader never caught up. */
  end(): void {
    if (this.out.destroyed || this.out.writableEnded) return;
    if (this.skipped) this.out.write(`\n[${this.skipped} bytes of output skipped: this reader fell behind; the archived log has them]\n`);
    this.skipped = 0;
    this.out.end();
  }

  write(data: string): void {
    if (this.out.destroyed || this.out.writableEnded) return;
    if (this.out.writableLength >= this.limitBytes) {
      this.skipped += Buffer.byteLength(data);
      return;
    }
    if (this.skipped) {
      this.out.write(`\n[${this.skipped} bytes of output skipped: this reader fell behind; the archived log has them]\n`);
      this.skipped = 0;
    }
    this.out.write(data);
  }
}
