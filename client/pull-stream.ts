/**
 * Pull many files in one request: ask the head for a group of planned files as one file stream
 * (shared/file-stream.ts) and write each via `<file>.partial` + rename once its sha256 matches the
 * manifest. Nothing the head sends is trusted: every frame must be the next file asked for, with the
 * manifest's size, and its bytes must hash to the manifest's sha256; anything else stops the pull.
 * A stream cut inside a large file leaves its `.partial`, which the next pull resumes (pull.ts).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import type { HeadClient } from '../shared/api/head-client.ts';
import { FILE_STREAM_TYPE, FileStreamError, FileStreamReader } from '../shared/file-stream.ts';
import { sha256Hex } from '../shared/hash-file.ts';
import type { PlannedFile, PullFailure, TransferProgress } from './pull.ts';
import type { SmallFileWriters } from './small-file-writers.ts';

/** Carries a failure out of the nested download steps to pullBatch, which returns it. */
export class PullStop extends Error {
  constructor(readonly failure: PullFailure) {
    super(failure.message);
  }
}

/**
 * Files up to this size are gathered in memory, checked, then written with synchronous calls:
 * open, write, close and rename of a 4 KB file take tens of microseconds each as system calls, but
 * hundreds as promises (a trip through libuv's thread pool each), which made the pull of 2,000
 * small files wait on its own bookkeeping. The event loop is held for one small file at a time.
 */
export const SMALL_FILE = 1 << 20;
/**
 * Bytes of a large file the pull lets wait for the disk before it stops reading. Small on
 * purpose: the kernel copies each batch into the page cache from a thread-pool thread, and a batch
 * still in the CPU's cache (256 KiB; 2 MiB of L2 per core here) copies fast, while 4 MiB batches
 * made that copy cost 2 s of system time per GiB instead of 1 s (1 GiB pull: 4.0 s → 2.8-3.0 s).
 */
const WRITE_BATCH = 256 * 1024;
/** Files per request; the request's JSON also stays under the head's 64 KiB body limit. */
const GROUP_FILES = 500;
const GROUP_JSON_BYTES = 48 * 1024;

/** Split `files` into groups one request each can ask for. */
export function groupsOf(files: PlannedFile[]): PlannedFile[][] {
  const groups: PlannedFile[][] = [];
  let group: PlannedFile[] = [];
  let bytes = 0;
  for (const f of files) {
    const entry = JSON.stringify({ job: f.job, path: f.path }).length + 1;
    if (group.length && (group.length >= GROUP_FILES || bytes + entry > GROUP_JSON_BYTES)) {
      groups.push(group);
      group = [];
      bytes = 0;
    }
    group.push(f);
    bytes += entry;
  }
  if (group.length) groups.push(group);
  return groups;
}

/** The head answered that it has no such route: an older head, pulled from file by file instead. */
export class NoStreamRoute extends Error {}

const bad = (message: string) => new PullStop({ kind: 'bad-response', status: 200, message });

/**
 * Download `group` (planned files without a partial to resume) as one stream. Throws
 * {@link PullStop} with the reason, {@link NoStreamRoute} for an older head, or an I/O error.
 * With `writers`, verified small files are handed to their threads (the caller awaits
 * `writers.done()`), and the progress hears of them once written; without, they are written here.
 */
export async function pullGroup(client: HeadClient, ref: string, group: PlannedFile[], progress: TransferProgress, madeDirs: Set<string>, writers?: SmallFileWriters): Promise<void> {
  const got = await client.fileStream(ref, group.map((f) => ({ job: f.job, path: f.path })));
  if (!got.ok) {
    if (got.error.kind === 'refused' && got.error.status === 404 && /^no route /.test(got.error.message)) throw new NoStreamRoute();
    throw new PullStop({ ...got.error, message: `downloading ${group.length} files failed: ${got.error.message}` });
  }
  const res = got.value;
  if (res.header('content-type') !== FILE_STREAM_TYPE) {
    await res.cancel();
    throw bad(`the head answered a file-stream request with ${res.header('content-type') ?? 'no content type'}`);
  }
  const reader = new FileStreamReader(res.body, { maxFileBytes: Math.max(...group.map((f) => f.size)) });
  try {
    for (const f of group) {
      const h = await reader.next();
      if (!h) throw bad(`the head's stream ended before ${f.key} (${group.indexOf(f)} of ${group.length} files sent)`);
      if (h.job !== f.job || h.path !== f.path) throw bad(`the head sent '${String(h.job).slice(0, 200)}/${h.path.slice(0, 200)}' where ${f.key} was expected`);
      if (h.size !== f.size) throw bad(`the head sent ${h.size} bytes for ${f.key}, whose manifest size is ${f.size}`);
      if (f.size <= SMALL_FILE) {
        // Usually the whole frame is buffered already: taken at once, without a generator.
        let data = reader.bodyBuffered();
        if (!data) {
          const chunks: Buffer[] = [];
          for await (const c of reader.body()) chunks.push(c);
          data = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
        }
        checkSha(f, sha256Hex(data));
        if (writers) {
          writers.write(path.dirname(f.local), f.local, data);
          const wait = writers.room();
          if (wait) await wait;
        } else {
          mkdirOnce(path.dirname(f.local), madeDirs);
          writeSmall(f, data);
          progress.add(f.size);
        }
      } else {
        mkdirOnce(path.dirname(f.local), madeDirs);
        await writeLarge(reader, f, progress);
      }
    }
    writers?.flush();
    if ((await reader.next()) !== null) throw bad(`the head sent more files than the ${group.length} asked for`);
  } catch (err) {
    if (err instanceof FileStreamError) throw bad(`the head's file stream is broken: ${err.message}`);
    throw err;
  } finally {
    await reader.close().catch(() => undefined);
  }
}

function checkSha(f: PlannedFile, sha: string): void {
  if (sha !== f.sha256) throw bad(`downloaded ${f.key} does not match its sha256 (got ${sha}); run pull again`);
}

function mkdirOnce(dir: string, made: Set<string>): void {
  if (made.has(dir)) return;
  fs.mkdirSync(dir, { recursive: true });
  made.add(dir);
}

/** A verified small file: written to its `.partial`, then renamed into place (see {@link SMALL_FILE}). */
function writeSmall(f: PlannedFile, data: Buffer): void {
  const partial = `${f.local}.partial`;
  fs.writeFileSync(partial, data);
  fs.renameSync(partial, f.local);
}

/**
 * A large file streamed into its `.partial` while hashed; renamed once the hash matches, removed
 * when it does not. A stream cut halfway leaves the partial for the next pull to resume.
 */
async function writeLarge(reader: FileStreamReader, f: PlannedFile, progress: TransferProgress): Promise<void> {
  const partial = `${f.local}.partial`;
  const out = fs.createWriteStream(partial, { highWaterMark: WRITE_BATCH });
  const failed = once(out, 'error').then(([e]) => { throw e as Error; });
  failed.catch(() => undefined);
  const hash = crypto.createHash('sha256');
  try {
    for await (const c of reader.body()) {
      hash.update(c);
      progress.add(c.length);
      if (!out.write(c)) await Promise.race([once(out, 'drain'), failed]);
    }
    out.end();
    await Promise.race([once(out, 'finish'), failed]);
  } catch (err) {
    // Keep what arrived (the next pull resumes from it): let the buffered writes land, then fail.
    await new Promise<void>((resolve) => {
      if (out.destroyed) return resolve();
      out.once('error', () => resolve());
      out.end(resolve);
    });
    throw err;
  }
  const sha = hash.digest('hex');
  if (sha !== f.sha256) {
    await fsp.rm(partial, { force: true });
    checkSha(f, sha);
  }
  await fsp.rename(partial, f.local);
}
