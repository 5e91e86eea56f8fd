/**
 * Many files in one stream, the one format both directions use: an agent uploads a run's logs and
 * small results in one request (electron/agent/result-upload.ts), a pull fetches many archived files
 * in one answer (client/pull.ts). Per-file HTTP requests cost a round trip, an open, a routing pass
 * and a rename each; a 4 KB file spent ~15-25 ms in them.
 *
 * Layout (big-endian lengths):
 *
 *     "distribute-files/1\n"                       the magic line, once
 *     u32 n, n bytes of JSON, size bytes, 32 bytes  one frame per file: header {path, size[, job]},
 *                                                  the file's bytes, the sender's raw sha256 of them
 *     u32 n, n bytes of JSON {error}               the sender gave up (a file vanished): no data follows
 *     u32 0                                        the end; nothing may follow it
 *
 * The size is in the header, so the reader knows where each file ends without scanning; the
 * sha256 comes after the bytes, so a sender hashes while it sends and reads each file once. A
 * stream that stops before its end frame is truncated, whatever it carried so far. The reader
 * checks the shape (lengths, JSON, sizes); what a path may be is the receiver's business (it checks
 * it against what it asked for, or resolves it inside its own folder).
 */

/** The first bytes of every file stream (also its version). */
export const FILE_STREAM_MAGIC = 'distribute-files/1\n';
/** The content type of a file stream, both ways. */
export const FILE_STREAM_TYPE = 'application/x-distribute-files';
/** Longest header a reader accepts. */
export const MAX_FRAME_HEADER_BYTES = 16 * 1024;
const SHA_BYTES = 32;

/** One file's frame header. `job` is set in pull streams (files of several jobs), absent in uploads. */
export interface FileFrameHeader {
  path: string;
  size: number;
  job?: string;
}

/** A malformed, truncated or refused stream; `message` says which and where. */
export class FileStreamError extends Error {
  override readonly name = 'FileStreamError';
}

const u32 = (n: number) => {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n, 0);
  return b;
};

const frame = (header: object) => {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  return Buffer.concat([u32(json.length), json]);
};

/** The magic line that opens a stream. */
export const streamStart = (): Buffer => Buffer.from(FILE_STREAM_MAGIC, 'latin1');
/** A file's header frame; its `size` bytes and {@link frameTrailer} follow. */
export const frameHeader = (h: FileFrameHeader): Buffer => frame(h.job === undefined ? { path: h.path, size: h.size } : { job: h.job, path: h.path, size: h.size });
/** The 32 bytes after a file's data: its sha256 (given as 64 hex digits). */
export const frameTrailer = (sha256Hex: string): Buffer => Buffer.from(sha256Hex, 'hex');
/** The sender stops: the reader fails with this message. */
export const frameError = (message: string): Buffer => frame({ error: message.slice(0, 1000) });
/** The end of the stream. */
export const streamEnd = (): Buffer => u32(0);

/** What a reader accepts; a larger file fails the stream before any of its bytes are taken. */
export interface FileStreamLimits {
  maxFileBytes?: number;
}

/**
 * Reads a file stream from any async source of bytes (a request, a response body), at the pace
 * its consumer takes the data: {@link next} gives each file's header, {@link body} its bytes (in the
 * source's chunks, not copied), {@link claimedSha256} the sender's digest once the body was read.
 * Every malformation is a {@link FileStreamError}.
 */
export class FileStreamReader {
  private readonly source: AsyncIterator<Uint8Array>;
  private queue: Buffer[] = [];
  private queued = 0;
  private ended = false;
  private started = false;
  private current: FileFrameHeader | null = null;
  private bodyTaken = true;
  /** A body was left half read (its consumer failed): the frames after it cannot be found. */
  private broken = false;
  private claimed: string | undefined;
  private files = 0;

  constructor(source: AsyncIterable<Uint8Array>, private readonly limits: FileStreamLimits = {}) {
    this.source = source[Symbol.asyncIterator]();
  }

  /** The next file's header, or null after the end frame. A body not read yet is skipped first. */
  async next(): Promise<FileFrameHeader | null> {
    if (!this.started) {
      this.started = true;
      const magic = this.takeBuffered(FILE_STREAM_MAGIC.length) ?? await this.take(FILE_STREAM_MAGIC.length, 'its opening line');
      if (magic.toString('latin1') !== FILE_STREAM_MAGIC) throw new FileStreamError(`not a file stream (it opens with ${JSON.stringify(magic.toString('latin1').slice(0, 20))})`);
    }
    if (this.broken) throw new FileStreamError('the stream was abandoned inside a file');
    if (!this.bodyTaken) for await (const chunk of this.body()) void chunk;
    this.claimed = undefined;
    const where = `after ${this.files} files`;
    // Bytes already buffered are taken without an await: a stream of 2,600 small files spent a
    // promise per step otherwise (header length, header, body, sha256).
    const n = (this.takeBuffered(4) ?? await this.take(4, `the header ${where}`)).readUInt32BE(0);
    if (n === 0) {
      await this.expectEnd();
      this.current = null;
      return null;
    }
    if (n > MAX_FRAME_HEADER_BYTES) throw new FileStreamError(`a frame header of ${n} bytes ${where} (at most ${MAX_FRAME_HEADER_BYTES})`);
    const header = parseHeader((this.takeBuffered(n) ?? await this.take(n, `the header ${where}`)).toString('utf8'), where);
    const max = this.limits.maxFileBytes;
    if (max !== undefined && header.size > max) throw new FileStreamError(`'${header.path.slice(0, 200)}' is ${header.size} bytes, over the limit of ${max}`);
    this.current = header;
    this.bodyTaken = false;
    this.files++;
    return header;
  }

  /** The current file's bytes, exactly its header's size; then its trailer is read. Once per file. */
  async *body(): AsyncGenerator<Buffer> {
    const h = this.current;
    if (!h || this.bodyTaken) return;
    this.bodyTaken = true;
    this.broken = true;
    let left = h.size;
    while (left > 0) {
      if (this.queued === 0 && !(await this.pull())) throw new FileStreamError(`the stream ended inside '${h.path.slice(0, 200)}' (${h.size - left} of ${h.size} bytes)`);
      let chunk = this.queue[0];
      if (chunk.length > left) {
        this.queue[0] = chunk.subarray(left);
        chunk = chunk.subarray(0, left);
      } else {
        this.queue.shift();
      }
      this.queued -= chunk.length;
      left -= chunk.length;
      yield chunk;
    }
    this.claimed = (await this.take(SHA_BYTES, `the sha256 of '${h.path.slice(0, 200)}'`)).toString('hex');
    this.broken = false;
  }

  /**
   * The current file's bytes in one buffer, and its trailer read, when all of them are buffered
   * already (a small file, usually): no generator and no await. Null when they are not (then
   * {@link body} gives them) or when the body was taken.
   */
  bodyBuffered(): Buffer | null {
    const h = this.current;
    if (!h || this.bodyTaken || this.queued < h.size + SHA_BYTES) return null;
    const data = this.takeBuffered(h.size)!;
    this.claimed = this.takeBuffered(SHA_BYTES)!.toString('hex');
    this.bodyTaken = true;
    return data;
  }

  /** The sha256 the sender gave for the file whose body was just read (64 hex digits). */
  claimedSha256(): string | undefined {
    return this.claimed;
  }

  /** Stop reading: the source is told to finish (a request body is left unread). */
  async close(): Promise<void> {
    this.ended = true;
    await this.source.return?.();
  }

  private async pull(): Promise<boolean> {
    if (this.ended) return false;
    for (;;) {
      const r = await this.source.next();
      if (r.done) {
        this.ended = true;
        return false;
      }
      if (r.value.length === 0) continue;
      const b = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.length);
      this.queue.push(b);
      this.queued += b.length;
      return true;
    }
  }

  /** Exactly `n` bytes (copied only when they span chunks). */
  private async take(n: number, what: string): Promise<Buffer> {
    while (this.queued < n) {
      if (!(await this.pull())) throw new FileStreamError(`the stream ended before ${what} (truncated)`);
    }
    return this.takeBuffered(n)!;
  }

  /** Exactly `n` bytes when that many are buffered (copied only when they span chunks), else null. */
  private takeBuffered(n: number): Buffer | null {
    if (this.queued < n) return null;
    if (n === 0) return Buffer.alloc(0);
    const first = this.queue[0];
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.queue.shift();
      else this.queue[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let at = 0;
      while (at < n) {
        const c = this.queue[0];
        const k = Math.min(c.length, n - at);
        c.copy(out, at, 0, k);
        at += k;
        if (k === c.length) this.queue.shift();
        else this.queue[0] = c.subarray(k);
      }
    }
    this.queued -= n;
    return out;
  }

  private async expectEnd(): Promise<void> {
    if (this.queued > 0 || (await this.pull())) throw new FileStreamError('bytes after the end of the stream');
  }
}

function parseHeader(text: string, where: string): FileFrameHeader {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new FileStreamError(`a frame header ${where} is not JSON`);
  }
  const o = v as Record<string, unknown> | null;
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new FileStreamError(`a frame header ${where} is not an object`);
  if (typeof o.error === 'string') throw new FileStreamError(`the sender stopped ${where}: ${o.error.slice(0, 1000)}`);
  if (typeof o.path !== 'string' || o.path.length === 0 || o.path.length > 4096) throw new FileStreamError(`a frame header ${where} has no usable path`);
  if (typeof o.size !== 'number' || !Number.isSafeInteger(o.size) || o.size < 0) throw new FileStreamError(`'${o.path.slice(0, 200)}' has a bad size (${String(o.size).slice(0, 40)})`);
  if (o.job !== undefined && (typeof o.job !== 'string' || o.job.length === 0 || o.job.length > 200)) throw new FileStreamError(`'${o.path.slice(0, 200)}' has a bad job name`);
  return o.job === undefined ? { path: o.path, size: o.size } : { job: o.job, path: o.path, size: o.size };
}
