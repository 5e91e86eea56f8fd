/**
 * Stream a request body to disk without holding it in memory: write a partial file of its own
 * (`.<name>.<random>.partial` next to `dest`, so two uploads of one path never write into one
 * file), hash while writing, check size limit and expected sha256, then rename into place. A
 * half-written file is never visible under its final name. A full disk answers 507 (the sender
 * keeps its file).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { isDiskFull } from './disk-space.ts';

export type ReceiveResult =
  | { ok: true; size: number; sha256: string }
  | { ok: false; status: number; error: string };

/**
 * `expectedSha256` may be a function: it is asked once the body has ended, so a sha256 sent as an
 * HTTP trailer or after a file in a file stream (known to the sender only at the end) can be
 * checked; returning undefined refuses. `body` is a request, or one file's bytes in a file stream.
 */
export async function receiveFile(body: Readable | AsyncIterable<Buffer>, dest: string, opts: { expectedSha256?: string | (() => string | undefined); maxBytes?: number }): Promise<ReceiveResult> {
  const partial = path.join(path.dirname(dest), `.${path.basename(dest)}.${crypto.randomBytes(6).toString('hex')}.partial`);
  let out: PartialFile;
  try {
    out = await openPartial(partial);
  } catch (err) {
    if (isDiskFull(err)) return { ok: false, status: 507, error: `the head's disk is full (${(err as NodeJS.ErrnoException).code}); try again later` };
    throw err;
  }
  const hash = crypto.createHash('sha256');
  let size = 0;
  let tooBig = false;
  try {
    // One loop instead of a pipeline with a Transform: each chunk is counted, hashed and handed to
    // the file, and the request is read on while up to WRITE_BUFFER bytes wait for the disk (the
    // stream then writes them with one writev). With the write stream's default 16 KiB, every 64 KiB
    // read paused the request until the thread pool had written it.
    for await (const chunk of body) {
      size += chunk.length;
      if (opts.maxBytes !== undefined && size > opts.maxBytes) {
        tooBig = true;
        throw new Error('too large');
      }
      hash.update(chunk);
      if (!out.write(chunk)) await drained(out);
    }
    out.end();
    await finished(out);
  } catch (err) {
    // The file's own error (a full disk) if it had one; destroying it may add others after.
    const cause = out.failure ?? err;
    out.destroy();
    await finished(out).catch(() => undefined);
    await fsp.rm(partial, { force: true });
    if (tooBig) return { ok: false, status: 413, error: `upload larger than the limit of ${opts.maxBytes} bytes` };
    // 507 Insufficient Storage: not the sender's fault; it keeps the file and sends it again later.
    if (isDiskFull(cause)) return { ok: false, status: 507, error: `the head's disk is full (${(cause as NodeJS.ErrnoException).code}); try again later` };
    return { ok: false, status: 400, error: `upload interrupted: ${(cause as Error).message}` };
  }
  const sha256 = hash.digest('hex');
  const expected = typeof opts.expectedSha256 === 'function' ? opts.expectedSha256() : opts.expectedSha256;
  if (typeof opts.expectedSha256 === 'function' && !expected) {
    await fsp.rm(partial, { force: true });
    return { ok: false, status: 400, error: 'no sha256 sent (header or trailer)' };
  }
  if (expected && expected !== sha256) {
    await fsp.rm(partial, { force: true });
    return { ok: false, status: 422, error: `sha256 mismatch: expected ${expected}, received ${sha256}` };
  }
  try {
    await fsp.rename(partial, dest);
  } catch (err) {
    await fsp.rm(partial, { force: true });
    if (isDiskFull(err)) return { ok: false, status: 507, error: `the head's disk is full (${(err as NodeJS.ErrnoException).code}); try again later` };
    // The folder was removed while the body streamed (the upload's run ended meanwhile).
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ok: false, status: 410, error: 'the destination folder was removed during the upload' };
    throw err;
  }
  return { ok: true, size, sha256 };
}

/**
 * Bytes a receive holds for the disk before it stops reading the request (per upload: the head
 * may take many at once, so a few; the socket's own buffer keeps the sender going meanwhile).
 */
const WRITE_BUFFER = 1 << 20;

/** The partial file's write stream and its first write error, if any. */
type PartialFile = fs.WriteStream & { failure: Error | undefined };

/** Resolves when `out` can take more; rejects with its write error. */
function drained(out: PartialFile): Promise<void> {
  if (out.failure) return Promise.reject(out.failure);
  return new Promise((resolve, reject) => {
    const done = () => {
      out.off('drain', done);
      out.off('close', done);
      if (out.failure) reject(out.failure);
      else resolve();
    };
    out.on('drain', done);
    out.on('close', done);
  });
}

/**
 * Create the folders of `partial` and open it. Emptied staging folders are removed as runs end
 * (archive.ts), so a folder this upload is about to use may vanish between its creation and the
 * open: then create it again. Once the partial file exists its folder is no longer empty.
 */
async function openPartial(partial: string): Promise<PartialFile> {
  for (let attempt = 0; ; attempt++) {
    try {
      await fsp.mkdir(path.dirname(partial), { recursive: true });
      const handle = await fsp.open(partial, 'w');
      const out: PartialFile = Object.assign(handle.createWriteStream({ highWaterMark: WRITE_BUFFER }), { failure: undefined });
      // Kept for the caller, which sees it when it next writes or waits (never an unhandled 'error').
      out.on('error', (err) => { out.failure ??= err; });
      return out;
    } catch (err) {
      // ENOTDIR: what a recursive mkdir reports when a folder on its way is removed under it.
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || attempt >= 5) throw err;
    }
  }
}
