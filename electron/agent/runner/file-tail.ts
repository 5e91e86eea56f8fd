/**
 * Follows a growing log file and hands new text to a callback. The job writes its stdout/stderr
 * straight into files (so output is kept even while the agent is down); the agent reads them back
 * from here to stream logs to the head.
 *
 * The reads are synchronous: most polls find nothing new (one fstat), and a log read comes from
 * the page cache, where a synchronous call costs a tenth of the CPU of the same call through the
 * thread pool (every job's two tails are polled at least once). A poll that
 * finds a lot of output reads at most {@link POLL_BYTES} before giving the event loop a turn, so a
 * job that writes fast never stalls the agent.
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { StringDecoder } from 'node:string_decoder';

const CHUNK = 256 * 1024;
/** Bytes read in one go before the event loop gets a turn. */
const POLL_BYTES = 4 * CHUNK;

/**
 * The tails being followed, by polling period, each period with one interval for all of them: a
 * job has two tails, and an interval made and cleared for each cost more than the polls of a
 * short job (which ends before the first). An interval that finds no tail left stops; it is
 * unref'd, so it never keeps a process alive.
 */
const followed = new Map<number, Set<FileTail>>();

function follow(tail: FileTail, intervalMs: number): Set<FileTail> {
  let tails = followed.get(intervalMs);
  if (!tails) {
    const group = new Set<FileTail>();
    const timer = setInterval(() => {
      if (group.size === 0) {
        clearInterval(timer);
        followed.delete(intervalMs);
        return;
      }
      // A failed poll is retried on the next tick; stop() reports an error that persists.
      for (const t of group) t.poll().catch(() => undefined);
    }, intervalMs);
    timer.unref();
    followed.set(intervalMs, group);
    tails = group;
  }
  tails.add(tail);
  return tails;
}

export class FileTail {
  private offset: number;
  private fd: number | null = null;
  /** Made on the first bytes read (most logs of short jobs stay empty). */
  private decoder: StringDecoder | null = null;
  /** The polled group this tail is in while started. */
  private group: Set<FileTail> | null = null;
  private running: Promise<void> | null = null;
  private closed = false;

  /**
   * @param path file to follow (it may not exist yet)
   * @param fromOffset byte offset to start reading at
   * @param onText receives decoded text in file order; multi-byte characters are never split
   */
  constructor(
    private readonly path: string,
    fromOffset: number,
    private readonly onText: (text: string) => void,
  ) {
    this.offset = fromOffset;
  }

  /** Starts polling every `intervalMs` (the first poll comes within that time). */
  start(intervalMs: number): void {
    if (!this.group && !this.closed) this.group = follow(this, intervalMs);
  }

  /** Reads whatever was appended since the last read. Calls never overlap. */
  poll(): Promise<void> {
    if (!this.running) {
      this.running = this.readNew().finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  private async readNew(): Promise<void> {
    if (this.closed) return;
    if (this.fd === null) {
      // Opened only once there is something to read: a short job's logs are usually empty, and
      // its tails are polled once, at its end (a stat instead of an open, a stat and a close).
      // Not created yet: the next poll looks again.
      const size = statSync(this.path, { throwIfNoEntry: false })?.size;
      if (size === undefined || size <= this.offset) return;
      this.fd = openSync(this.path, 'r');
    }
    const fd = this.fd;
    // Most polls find nothing new: look at the size first and allocate only for what is there,
    // not a fresh 256 KiB buffer per poll.
    const { size } = fstatSync(fd);
    if (size <= this.offset) return;
    const buffer = Buffer.allocUnsafe(Math.min(CHUNK, size - this.offset));
    let budget = POLL_BYTES;
    for (;;) {
      const bytesRead = readSync(fd, buffer, 0, buffer.length, this.offset);
      if (bytesRead === 0) break;
      this.offset += bytesRead;
      const text = (this.decoder ??= new StringDecoder('utf8')).write(buffer.subarray(0, bytesRead));
      if (text) this.onText(text);
      budget -= bytesRead;
      if (budget <= 0) {
        await nextTurn();
        budget = POLL_BYTES;
      }
    }
  }

  /** Reads the rest of the file, delivers any trailing partial character, and stops. */
  stop(): Promise<void> {
    this.group?.delete(this);
    this.group = null;
    if (!this.running && this.fd === null && !this.closed) {
      // The usual short job: its log was never opened and nothing reads it now. One stat, and
      // when there is nothing to read the tail ends here, without the asynchronous read's turns.
      let size: number | undefined;
      try {
        size = statSync(this.path, { throwIfNoEntry: false })?.size;
      } catch {
        return this.stopReading(); // which reports it
      }
      if (size === undefined || size <= this.offset) {
        this.finish();
        return Promise.resolve();
      }
    }
    return this.stopReading();
  }

  private async stopReading(): Promise<void> {
    try {
      if (this.running) await this.running.catch(() => undefined);
      await this.poll();
    } finally {
      this.finish();
    }
  }

  private finish(): void {
    this.closed = true;
    const rest = this.decoder?.end();
    if (rest) this.onText(rest);
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
