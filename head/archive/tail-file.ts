/**
 * The last lines of an archived log without reading all of it: `logs --tail 20` of a job that
 * wrote 400 MB reads a few chunks from the end of the file, not 400 MB into one string.
 */
import fs from 'node:fs';
import { tailLines } from '../core/live-logs.ts';

const CHUNK_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

/**
 * The last `n` lines of `file` (as {@link tailLines} counts them), or null when it does not
 * exist. Reads backwards in 64 KiB chunks until it holds more than `n` line ends or the start of
 * the file. A cut in the middle of a UTF-8 character lies before the first kept line end, so it is
 * never decoded into the answer.
 */
export async function readLastLines(file: string, n: number): Promise<string | null> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const { size } = await handle.stat();
    const chunks: Buffer[] = [];
    let pos = size;
    let newlines = 0;
    while (pos > 0 && newlines <= n) {
      const len = Math.min(CHUNK_BYTES, pos);
      pos -= len;
      const buf = Buffer.alloc(len);
      const { bytesRead } = await handle.read(buf, 0, len, pos);
      const got = buf.subarray(0, bytesRead);
      for (const byte of got) if (byte === NEWLINE) newlines++;
      chunks.unshift(got);
    }
    let bytes = Buffer.concat(chunks);
    if (pos > 0) bytes = bytes.subarray(bytes.indexOf(NEWLINE) + 1); // drop the partial first line
    return tailLines(bytes.toString('utf8'), n);
  } finally {
    await handle.close();
  }
}
