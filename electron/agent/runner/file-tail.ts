/**
 * Follows a growing log file and hands new text to a callback. The job writes its stdout/stderr
 * straight into files (so output is kept even while the agent is down); the agent reads them back
 * from here to stream logs to the head.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';

const CHUNK = 256 * 1024;

export class FileTail {
  private offset: number;
  private handle: FileHandle | null = null;
  private readonly decoder = new StringDecoder('utf8');
  private timer: NodeJS.Timeout | null = null;
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

  /** Starts polling every `intervalMs`. */
  start(intervalMs: number): void {
    // A failed poll is retried on the next tick; stop() reports an error that persists.
    this.timer = setInterval(() => this.poll().catch(() => undefined), intervalMs);
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
    try {
      this.handle ??= await open(this.path, 'r');
      // Most polls find nothing new (and a short job's logs are often empty): look at the size
      // first and allocate only for what is there, not a fresh 256 KiB buffer per poll.
      const { size } = await this.handle.stat();
      if (size <= this.offset) return;
      const buffer = Buffer.allocUnsafe(Math.min(CHUNK, size - this.offset));
      for (;;) {
        const { bytesRead } = await this.handle.read(buffer, 0, buffer.length, this.offset);
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        const text = this.decoder.write(buffer.subarray(0, bytesRead));
        if (text) this.onText(text);
      }
    } catch (err) {
      // Not created yet: the next poll tries again. Anything else is a real I/O problem.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  /** Reads the rest of the file, delivers any trailing partial character, and stops. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.running) await this.running;
    await this.poll();
    this.closed = true;
    const rest = this.decoder.end();
    if (rest) this.onText(rest);
    await this.handle?.close();
    this.handle = null;
  }
}
