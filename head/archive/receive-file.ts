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
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';
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
  let out: fs.WriteStream;
  try {
    out = await openPartial(partial);
  } catch (err) {
    if (isDiskFull(err)) return { ok: false, status: 507, error: `the head's disk is full (${(err as NodeJS.ErrnoException).code}); try again later` };
    throw err;
  }
  const hash = crypto.createHash('sha256');
  let size = 0;
  let tooBig = false;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      size += chunk.length;
      if (opts.maxBytes !== undefined && size > opts.maxBytes) {
        tooBig = true;
        cb(new Error('too large'));
        return;
      }
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  try {
    await pipeline(body, meter, out);
  } catch (err) {
    await fsp.rm(partial, { force: true });
    if (tooBig) return { ok: false, status: 413, error: `upload larger than the limit of ${opts.maxBytes} bytes` };
    // 507 Insufficient Storage: not the sender's fault; it keeps the file and sends it again later.
    if (isDiskFull(err)) return { ok: false, status: 507, error: `the head's disk is full (${(err as NodeJS.ErrnoException).code}); try again later` };
    return { ok: false, status: 400, error: `upload interrupted: ${(err as Error).message}` };
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
 * Create the folders of `partial` and open it. Emptied staging folders are removed as runs end
 * (archive.ts), so a folder this upload is about to use may vanish between its creation and the
 * open: then create it again. Once the partial file exists its folder is no longer empty.
 */
async function openPartial(partial: string): Promise<fs.WriteStream> {
  for (let attempt = 0; ; attempt++) {
    try {
      await fsp.mkdir(path.dirname(partial), { recursive: true });
      const handle = await fsp.open(partial, 'w');
      return handle.createWriteStream();
    } catch (err) {
      // ENOTDIR: what a recursive mkdir reports when a folder on its way is removed under it.
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || attempt >= 5) throw err;
    }
  }
}
