/**
 * Pull as a sync: fetch a batch's manifest, pick files by include/exclude rules, skip files already
 * present with the same sha256, download the rest to `<file>.partial`, verify the sha256 and rename
 * into place. Files come many per request as file streams (./pull-stream.ts, two requests at a
 * time); a partial left by an interrupted pull is resumed on its own with an HTTP Range request, as
 * is everything when the head is older than the stream route (up to 8 files at a time). Used by
 * `pull`, `sync` and the tray. Failures come back as values ({@link PullFailure}), never as exceptions.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ApiError } from '../shared/api/api-result.ts';
import type { Manifest, ManifestFile } from '../shared/api/head-api.ts';
import type { HeadClient } from '../shared/api/head-client.ts';
import { eachLimited } from '../shared/each-limited.ts';
import { hashFileInto, sha256Hex, sha256OfFile } from '../shared/hash-file.ts';
import { groupsOf, NoStreamRoute, pullGroup, PullStop, SMALL_FILE } from './pull-stream.ts';
import { SmallFileWriters } from './small-file-writers.ts';

export interface Rule { kind: 'include' | 'exclude'; pattern: RegExp }

export type Decision = 'pull' | 'skip-identical' | 'excluded';
export interface PlannedFile extends ManifestFile { key: string; local: string; decision: Decision }

/** Why a pull stopped: the head's answer (see {@link ApiError}), or this machine's disk. */
export type PullFailure = ApiError | { kind: 'local'; message: string };
export type PullResult<T> = { ok: true; value: T } | { ok: false; error: PullFailure };

/** Byte progress of a transfer; the CLI passes a progress bar, the tray nothing. */
export interface TransferProgress {
  add(bytes: number): void;
  stop(): void;
}

/**
 * Whether a file (key = `batch/job/path`, relative to the namespace) is wanted. The first rule
 * that matches decides; with no match, a file is wanted unless some rule is an include.
 */
export function wanted(key: string, rules: Rule[]): boolean {
  for (const r of rules) if (r.pattern.test(key)) return r.kind === 'include';
  return !rules.some((r) => r.kind === 'include');
}

/** Files up to this size are hashed from one synchronous read (no 1 MiB stream buffer for a 4 KB file). */
const SMALL_HASH = 1 << 20;

export async function sha256Of(file: string, size?: number): Promise<string | null> {
  try {
    if (size !== undefined && size <= SMALL_HASH) return sha256Hex(fs.readFileSync(file));
    return (await sha256OfFile(file)).sha256;
  } catch {
    return null;
  }
}

/**
 * Whether folders exist, each asked of the disk once: in a first pull no job folder exists yet,
 * so none of its files (or their `.partial`s) needs a stat of its own (2 × 2,600 failed stats for
 * a batch of 2,000 small files otherwise).
 */
class DirCache {
  private readonly known = new Map<string, boolean>();
  has(dir: string): boolean {
    let there = this.known.get(dir);
    if (there === undefined) {
      try {
        there = fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory() === true;
      } catch {
        there = false; // ENOTDIR (a file where a folder of the path should be), EACCES: making the folder will say what is wrong
      }
      this.known.set(dir, there);
    }
    return there;
  }
}

/** `parts` joined under `root`, or null when the result would leave `root` (belt and braces behind the manifest checks). */
function pathInside(root: string, parts: string[]): string | null {
  const base = path.resolve(root);
  const abs = path.resolve(base, ...parts);
  return abs.startsWith(base + path.sep) ? abs : null;
}

/**
 * What a pull of `manifest` into `outDir` would do, file by file. Results land in
 * `<outDir>/<namespace>/<batch>/<job>/…`, the one layout of pull, sync, run and the tray. A name
 * or path that is not safe stops the pull.
 */
export async function planPull(manifest: Manifest, outDir: string, rules: Rule[]): Promise<PullResult<PlannedFile[]>> {
  const plan: PlannedFile[] = [];
  const dirs = new DirCache();
  for (const f of manifest.files) {
    const rel = `${f.job}/${f.path}`;
    const key = `${manifest.batch}/${rel}`;
    // The typed client checked the manifest field by field (ManifestSchema); this also proves the joined path stays inside --out.
    const local = pathInside(outDir, [manifest.namespace, manifest.batch, f.job, f.path]);
    if (!local) return { ok: false, error: { kind: 'bad-response', status: 200, message: `the head sent an unsafe path: ${rel} would land outside ${outDir}` } };
    let decision: Decision = wanted(key, rules) ? 'pull' : 'excluded';
    if (decision === 'pull') {
      // Synchronous: a stat is a few microseconds, a promise of one a trip through the thread pool (×1000s of files).
      const st = dirs.has(path.dirname(local)) ? fs.statSync(local, { throwIfNoEntry: false }) : undefined;
      if (st?.isFile() && st.size === f.size && (await sha256Of(local, st.size)) === f.sha256) decision = 'skip-identical';
    }
    plan.push({ ...f, key, local, decision });
  }
  return { ok: true, value: plan };
}

/**
 * Download one planned file into `<file>.partial`, then verify and rename into place. A partial
 * left by an interrupted pull is resumed with a Range request; one already complete (killed
 * between download and rename) is only verified. A resumed download whose checksum is wrong (the
 * partial came from an older version of the file) is restarted from zero once.
 */
async function fetchFile(client: HeadClient, ref: string, f: PlannedFile, progress: TransferProgress): Promise<void> {
  await fsp.mkdir(path.dirname(f.local), { recursive: true });
  const partial = `${f.local}.partial`;
  const st = await fsp.stat(partial).catch(() => null);
  if (st?.isFile() && st.size === f.size && (await sha256Of(partial)) === f.sha256) {
    progress.add(f.size);
    await fsp.rename(partial, f.local);
    return;
  }
  let start = st?.isFile() && st.size > 0 && st.size < f.size ? st.size : 0;
  if (start === 0) await fsp.rm(partial, { force: true });
  for (;;) {
    const got = await client.file(ref, f.job, f.path, start);
    if (!got.ok) throw new PullStop({ ...got.error, message: `downloading ${f.key} failed: ${got.error.message}` });
    const res = got.value;
    if (res.status !== 206) start = 0;
    progress.add(start);
    // One pass: hash what is already there (a resumed download), then the bytes as they arrive.
    const hash = crypto.createHash('sha256');
    if (start) await hashFileInto(hash, partial, start);
    // Never more bytes than the manifest announced: a head that keeps sending cannot fill the disk.
    let received = start;
    const tooLong = () => new PullStop({ kind: 'bad-response', status: res.status, message: `the head sent more than the ${f.size} bytes of ${f.key}; download stopped` });
    const hashing = new Transform({
      transform(c: Buffer, _e, cb) {
        received += c.length;
        if (received > f.size) return cb(tooLong());
        hash.update(c);
        progress.add(c.length);
        cb(null, c);
      },
    });
    await pipeline(res.body, hashing, fs.createWriteStream(partial, { flags: start ? 'a' : 'w' }));
    const sha = hash.digest('hex');
    if (sha === f.sha256) break;
    await fsp.rm(partial, { force: true });
    if (start === 0) throw new PullStop({ kind: 'bad-response', status: res.status, message: `downloaded ${f.key} does not match its sha256 (got ${sha}); run pull again` });
    start = 0; // the resumed part came from another version of the file: once more from scratch
  }
  await fsp.rename(partial, f.local);
}

export interface PullSummary { batch: string; namespace: string; pulled: number; skipped: number; excluded: number; bytes: number; pendingJobs: string[]; files: { path: string; decision: Decision; size: number }[] }

export interface PullOptions {
  dryRun?: boolean;
  /** Called once with the bytes to download; the returned sink sees every byte. */
  progress?: (totalBytes: number) => TransferProgress;
}

/**
 * Files downloaded at the same time one by one (resumed partials, an older head). Each is a full
 * round trip to the head (request, open, hash, rename on both ends), so one at a time leaves both
 * sides idle most of the time; the global fetch keeps these connections alive between files.
 */
const PARALLEL_DOWNLOADS = 8;
/** File-stream requests at the same time: the head reads one group while the client writes another. */
const PARALLEL_STREAMS = 2;
/**
 * From this many small files on, a pull writes them from a thread (./small-file-writers.ts), which
 * costs a few milliseconds to start: a handful of files is written by the main thread.
 */
const THREADED_FILES = 64;
/**
 * Two writer threads (one on a single core). The writers are what a pull of many small files
 * waits for at its end (the kernel creating inodes), and two cut that wall time: 2,600 files of
 * 4 KB, 4 rounds alternated at load 1.0, 559 vs 629 ms median, every round faster, for 12 % more
 * CPU (most of it system time: both threads create inodes in the same block groups). At load
 * 1.7-2.0 the two were even (837 vs 857 ms); more threads would only take more of a shared machine.
 */
const WRITER_THREADS = Math.max(1, Math.min(2, os.availableParallelism()));

const noProgress: TransferProgress = { add: () => undefined, stop: () => undefined };

/** Sync one batch (`ref`: id, namespace/name or name) into `<outDir>/<namespace>/<batch>/<job>/…`. */
export async function pullBatch(client: HeadClient, ref: string, outDir: string, rules: Rule[], opts: PullOptions = {}): Promise<PullResult<PullSummary>> {
  const got = await client.manifest(ref);
  if (!got.ok) return got;
  const manifest = got.value;
  const planned = await planPull(manifest, outDir, rules);
  if (!planned.ok) return planned;
  const plan = planned.value;
  const todo = plan.filter((p) => p.decision === 'pull');
  const bytes = todo.reduce((a, f) => a + f.size, 0);
  if (!opts.dryRun) {
    const progress = opts.progress?.(bytes) ?? noProgress;
    let writers: SmallFileWriters | undefined;
    try {
      // The first failure stops new downloads; those already running finish before it is returned.
      const resume: PlannedFile[] = [];
      const fresh: PlannedFile[] = [];
      const dirs = new DirCache();
      for (const f of todo) (dirs.has(path.dirname(f.local)) && fs.statSync(`${f.local}.partial`, { throwIfNoEntry: false }) ? resume : fresh).push(f);
      const small = fresh.filter((f) => f.size <= SMALL_FILE);
      if (small.length >= THREADED_FILES) {
        writers = new SmallFileWriters(WRITER_THREADS, (n) => progress.add(n));
        writers.makeDirs(small.map((f) => path.dirname(f.local)));
      }
      const oneByOne = (files: PlannedFile[]) => eachLimited(files, PARALLEL_DOWNLOADS, (f) => fetchFile(client, manifest.id, f, progress));
      let streams = true;
      const madeDirs = new Set<string>();
      await eachLimited(groupsOf(fresh), PARALLEL_STREAMS, async (group) => {
        if (streams) {
          try {
            return await pullGroup(client, manifest.id, group, progress, madeDirs, writers);
          } catch (err) {
            if (!(err instanceof NoStreamRoute)) throw err;
            streams = false; // a head older than file streams: file by file, as before
          }
        }
        await oneByOne(group);
      });
      await writers?.done();
      await oneByOne(resume);
    } catch (err) {
      if (err instanceof PullStop) return { ok: false, error: err.failure };
      const e = err as NodeJS.ErrnoException;
      return { ok: false, error: { kind: 'local', message: `writing into ${outDir} failed: ${e.code ?? e.message}` } };
    } finally {
      await writers?.close();
      progress.stop();
    }
  }
  return {
    ok: true,
    value: {
      batch: manifest.batch, namespace: manifest.namespace, pulled: todo.length, bytes,
      skipped: plan.filter((p) => p.decision === 'skip-identical').length, excluded: plan.filter((p) => p.decision === 'excluded').length,
      pendingJobs: manifest.pending, files: plan.map((p) => ({ path: p.key, decision: p.decision, size: p.size })),
    },
  };
}
