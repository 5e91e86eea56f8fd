/**
 * The results archive on the head: `<data>/archive/<namespace>/<batch>/<job>/` holds what the job
 * left in `distribute_save/` plus `_distribute/stdout.log`, `_distribute/stderr.log` and
 * `_distribute/result.json` (node, run id, exit code, times, file list with sha256). Uploads land in
 * `<data>/staging/<batchId>/<runId>/`, one folder per run, so two runs of a job never mix their
 * files. Once the head accepts a run's report, every staged file is checked against the run's list
 * (size and sha256; a file that differs is deleted and asked for again, never archived), files not
 * on the list are dropped, and the folder moves into the archive with one rename, so a job's
 * archive folder is either absent or complete. A batch's staging folder goes when the batch ends.
 *
 * The run folders sit right in the batch's folder, not in a folder per job (the layout before
 * 2026-11-30, `<batchId>/<job>/<runId>/`, which a restarted head moves over, see
 * head/core/cluster.ts): that folder was made and removed again around every run, and on this
 * head's disk creating and freeing an inode is most of the kernel time of a trivial job
 * (docs/benchmarks.md).
 * Batch inputs are content-addressed under `<data>/inputs/<sha256>`.
 */
import crypto from 'node:crypto';
import { createReadStream, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, type Dirent } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { JobResult } from '../../shared/job/state.ts';
import { INLINE_RESULT_BYTES, type InlineFile, type ResultFile } from '../../shared/protocol/messages.ts';
import { checkRelativePath, resolveInside } from './safe-path.ts';

import { META_DIR, RESULT_FILE } from '../../shared/archive-layout.ts';
import { UsageCache } from './usage-cache.ts';
import { sha256Hex } from '../../shared/hash-file.ts';
export { META_DIR, RESULT_FILE, STDOUT_FILE, STDERR_FILE } from '../../shared/archive-layout.ts';

/** What `_distribute/result.json` holds. */
export interface JobResultMeta {
  batchId: string;
  namespace: string;
  batch: string;
  job: string;
  /** The run whose files these are (absent in archives written by version 0.1). */
  runId?: string;
  attempt: number;
  node: string;
  result: JobResult;
  startedAt: number;
  endedAt: number;
  runMs: number;
  files: ResultFile[];
  bytes: number;
  /** Files the job saved that were not archived, with the reason (e.g. a name the archive cannot store). */
  skipped?: string[];
}

/**
 * What {@link Archive.stageInline} did with a report's inline files: the paths it refused, and,
 * when the report found no staging folder of its run and made it, the paths it wrote there (then
 * nothing else is in that folder: {@link Archive.checkStaged} and {@link Archive.commit} take them
 * as checked, with no stat, no listing and no hashing).
 */
export interface InlineStaged {
  refused: string[];
  fresh: ReadonlySet<string> | null;
}

/** The staged files of a run checked against its report: what must be uploaded again. */
export interface StagedCheck {
  /** Paths absent, incomplete or different from the report (upload again). */
  missing: string[];
  /** Of those, the ones that were present but differed (deleted; worth a log line). */
  mismatched: string[];
}

export class Archive {
  readonly archiveRoot: string;
  readonly stagingRoot: string;
  readonly inputsRoot: string;

  constructor(dataDir: string) {
    this.archiveRoot = path.resolve(dataDir, 'archive');
    this.stagingRoot = path.resolve(dataDir, 'staging');
    this.inputsRoot = path.resolve(dataDir, 'inputs');
  }

  async init(): Promise<void> {
    for (const d of [this.archiveRoot, this.stagingRoot, this.inputsRoot]) await fs.mkdir(d, { recursive: true });
  }

  batchDir(namespace: string, batch: string): string {
    return path.join(this.archiveRoot, namespace, batch);
  }

  jobDir(namespace: string, batch: string, job: string): string {
    return path.join(this.archiveRoot, namespace, batch, job);
  }

  /**
   * The staging folder of run `runId` of batch `batchId` (run ids are unique, see
   * shared/job/run-id.ts). Both are the head's own ids (or a name read from staging), single
   * safe segments, so they are put together without `path.join`'s normalising, which was a tenth
   * of what the head allocated per trivial job with the other paths of a commit.
   */
  stagingDir(batchId: string, runId: string): string {
    return `${this.stagingRoot}${path.sep}${batchId}${path.sep}${runId}`;
  }

  /**
   * sha256 of files as the upload route received them (hashed while streaming), so a commit need
   * not read them again; keyed by path and valid while size and mtime are unchanged.
   */
  private readonly received = new Map<string, { size: number; mtimeMs: number; sha256: string }>();

  /** The upload route stored `abs` with this digest. */
  async noteReceived(abs: string, sha256: string): Promise<void> {
    const st = statSync(abs, { throwIfNoEntry: false });
    if (st) this.received.set(abs, { size: st.size, mtimeMs: st.mtimeMs, sha256 });
  }

  /**
   * Writes the result files a run sent inline in its report (`job-finished`) into its staging
   * folder, where uploaded files go, each only once its bytes match the size and sha256 the report
   * lists for it. Returns the paths refused: not on the list, an unsafe path, bytes that differ, or
   * past the INLINE_RESULT_BYTES the head allows per report (the agent is asked for them again,
   * and uploads them).
   *
   * Synchronous, like the rest of a commit: inline files are small (at most
   * INLINE_RESULT_BYTES per report), and on this head's own disk a synchronous write, stat or
   * rename costs a tenth of the CPU of the same call through the thread pool (docs/benchmarks.md).
   * Throws what the file system throws (ENOSPC: the caller answers "later").
   *
   * The common case, a trivial job's report carrying all its files, finds no staging folder of
   * its run: it makes it (one `mkdir`) and says so (`fresh`), and the check and the commit that
   * follow in the same turn of the event loop take its files as they were written instead of
   * stating, listing and matching them again (per job 27 file-system calls became 10). A folder
   * that was there already (uploads, an earlier report of the run) is checked as any staging is.
   */
  stageInline(batchId: string, runId: string, files: ResultFile[], inline: InlineFile[]): InlineStaged {
    const runDir = this.stagingDir(batchId, runId);
    // Returns the first folder it made, undefined when the run's folder was there already.
    const fresh = mkdirSync(runDir, { recursive: true }) !== undefined;
    const listed = new Map(files.map((f) => [f.path, f]));
    const refused: string[] = [];
    const written = new Set<string>();
    const made = new Set<string>([runDir]);
    let room = INLINE_RESULT_BYTES;
    for (const f of inline) {
      const want = listed.get(f.path);
      // Every segment a safe name (no `..`, no separator, not empty): the path stays in runDir.
      const rel = checkRelativePath(f.path);
      const data = Buffer.from(f.data, 'base64');
      if (!want || !rel.ok || data.length > room || data.length !== want.size || sha256Hex(data) !== want.sha256) {
        refused.push(f.path);
        continue;
      }
      room -= data.length;
      const abs = `${runDir}${path.sep}${rel.rel}`;
      const dir = path.dirname(abs);
      if (!made.has(dir)) mkdirSync(dir, { recursive: true });
      made.add(dir);
      writeFileSync(abs, data);
      written.add(f.path);
      if (fresh) continue;
      const st = statSync(abs);
      this.received.set(abs, { size: st.size, mtimeMs: st.mtimeMs, sha256: want.sha256 });
    }
    return { refused, fresh: fresh ? written : null };
  }

  /** sha256 of a staged file: the digest noted at upload when still valid, else read again. */
  private async digestOf(abs: string, st: { size: number; mtimeMs: number }): Promise<string> {
    const noted = this.received.get(abs);
    if (noted && noted.size === st.size && noted.mtimeMs === st.mtimeMs) return noted.sha256;
    const hash = crypto.createHash('sha256');
    await pipeline(createReadStream(abs, { highWaterMark: 1 << 20 }), new Writable({
      write(chunk: Buffer, _enc, cb) { hash.update(chunk); cb(); },
    }));
    return hash.digest('hex');
  }

  inputPath(sha256: string): string {
    return path.join(this.inputsRoot, sha256);
  }

  async hasInput(sha256: string): Promise<boolean> {
    return exists(this.inputPath(sha256));
  }

  /** Where an upload of result file `rel` goes, or an error when the path is unsafe. */
  stagingFile(batchId: string, runId: string, rel: string) {
    return resolveInside(this.stagingDir(batchId, runId), rel);
  }

  /**
   * Check the staged files of a run against the list it reported: each must be there with the
   * reported size and sha256. A file that differs is deleted (it is asked for again, never archived).
   * `fresh`: the files {@link stageInline} just wrote into a folder it made (see there), taken as
   * they are; call this in the same turn of the event loop.
   */
  async checkStaged(batchId: string, runId: string, files: ResultFile[], fresh?: ReadonlySet<string> | null): Promise<StagedCheck> {
    const out: StagedCheck = { missing: [], mismatched: [] };
    for (const f of files) {
      if (fresh?.has(f.path)) continue;
      const p = this.stagingFile(batchId, runId, f.path);
      if (!p.ok || !p.abs) { out.missing.push(f.path); continue; }
      // A stat of a staged file is synchronous (microseconds); only hashing a file whose digest
      // was not noted at upload reads it through the thread pool.
      const st = statSync(p.abs, { throwIfNoEntry: false });
      if (!st) {
        out.missing.push(f.path);
        continue;
      }
      if (st.isFile() && st.size === f.size && await this.digestOf(p.abs, st) === f.sha256) continue;
      out.missing.push(f.path);
      out.mismatched.push(f.path);
      this.received.delete(p.abs);
      rmSync(p.abs, { recursive: true, force: true });
    }
    return out;
  }

  /**
   * Move a run's staged result into the archive: drop staged files the run did not list (an upload
   * still streaming, say), write result.json into staging, rename staging into place (replacing
   * any previous archive folder of the job). The caller checked the files with {@link checkStaged}.
   *
   * result.json is written straight into the run's staging folder, not through a temporary file:
   * nothing reads staging as a result, and the one rename into the archive is what makes the
   * folder appear complete. A commit cut short (crash, full disk) leaves it in staging, where the
   * next commit of the run drops it as unlisted and writes it again. The archive's parent folders
   * are created, and a previous folder of the job removed, only when the rename says so: the
   * common case is one rename, which leaves nothing behind in staging (the batch's folder stays
   * until the batch ends).
   *
   * Every step is a synchronous call: a handful of metadata operations of a few microseconds
   * each on the head's disk, where each would cost 10-20 times that in CPU through the thread
   * pool (measured, docs/benchmarks.md), and nothing else can run between them.
   *
   * `fresh` (from {@link stageInline}, with the check in between in the same turn of the event
   * loop): the folder holds exactly those files, all listed, so there is nothing to drop.
   */
  async commit(meta: JobResultMeta & { runId: string }, fresh?: ReadonlySet<string> | null): Promise<void> {
    const staging = this.stagingDir(meta.batchId, meta.runId);
    let metaDir = false;
    if (fresh) {
      for (const p of fresh) if (p.startsWith(META_DIR + '/')) metaDir = true;
    } else {
      pruneUnlisted(staging, new Set(meta.files.map((f) => f.path)));
      for (const f of meta.files) this.received.delete(path.join(staging, f.path));
    }
    if (!metaDir) mkdirSync(path.join(staging, META_DIR), { recursive: true });
    writeFileSync(path.join(staging, RESULT_FILE), JSON.stringify(meta, null, 1));
    renameInto(staging, this.jobDir(meta.namespace, meta.batch, meta.job));
    this.usage.invalidate();
  }

  /** Batch ids with uploads in staging (none when staging is missing). */
  async stagedBatchIds(): Promise<string[]> {
    try {
      return await fs.readdir(this.stagingRoot);
    } catch {
      return [];
    }
  }

  /**
   * What a batch's staging folder holds: run ids, or (with `folder`) what one of its folders holds;
   * a folder of the layout before 2026-11-30 is named after a job and holds run folders.
   */
  async stagedNames(batchId: string, folder?: string): Promise<string[]> {
    try {
      return await fs.readdir(folder === undefined ? path.join(this.stagingRoot, batchId) : path.join(this.stagingRoot, batchId, folder));
    } catch {
      return [];
    }
  }

  /**
   * Move run `runId` staged by a head of before 2026-11-30 (`<batchId>/<job>/<runId>/`) to its
   * folder of today; false when it cannot (it is then discarded with its job folder).
   */
  async adoptLegacyStaging(batchId: string, job: string, runId: string): Promise<boolean> {
    try {
      await fs.rename(path.join(this.stagingRoot, batchId, job, runId), this.stagingDir(batchId, runId));
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Delete staged uploads: of one run (or any other folder of the batch's staging: see
   * {@link stagedNames}), or of a whole batch. A batch's folder emptied by the discard of a run
   * goes too (in the background: it fails harmlessly when another run staged there meanwhile,
   * and an upload or inline report that needs the folder again makes it again).
   */
  async discardStaging(batchId: string, runId?: string): Promise<void> {
    const batchDir = path.join(this.stagingRoot, batchId);
    const dir = runId === undefined ? batchDir : this.stagingDir(batchId, runId);
    await fs.rm(dir, { recursive: true, force: true });
    for (const k of this.received.keys()) if (k.startsWith(dir + path.sep)) this.received.delete(k);
    if (runId !== undefined) void fs.rmdir(batchDir).catch(() => {});
  }

  async readResult(namespace: string, batch: string, job: string): Promise<JobResultMeta | null> {
    return (await this.readResultFile(namespace, batch, job))?.meta ?? null;
  }

  /** A job's `result.json` parsed and as bytes (for the manifest, which lists the file itself). */
  async readResultFile(namespace: string, batch: string, job: string): Promise<{ meta: JobResultMeta; raw: Buffer } | null> {
    try {
      const raw = await fs.readFile(path.join(this.jobDir(namespace, batch, job), RESULT_FILE));
      return { meta: JSON.parse(raw.toString('utf8')) as JobResultMeta, raw };
    } catch {
      return null;
    }
  }

  async removeBatch(namespace: string, batch: string): Promise<void> {
    await fs.rm(this.batchDir(namespace, batch), { recursive: true, force: true });
    this.usage.invalidate();
  }

  /**
   * Bytes used per namespace, as `status` shows them: the last walk of the archive, refreshed in
   * the background when stale (usage-cache.ts), so a status request does not walk every file.
   */
  diskUsage(): Promise<Record<string, number>> {
    return this.usage.get();
  }

  private readonly usage = new UsageCache(() => this.measureDiskUsage());

  /** Bytes used per namespace in the archive, walked now. */
  async measureDiskUsage(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    let namespaces: string[] = [];
    try {
      namespaces = await fs.readdir(this.archiveRoot);
    } catch {
      return out;
    }
    for (const ns of namespaces) out[ns] = await du(path.join(this.archiveRoot, ns));
    return out;
  }
}

/**
 * Rename folder `from` to `to`: creating the parents of `to` when they are missing, and replacing
 * an existing `to` (a job archived before, re-run by `retry`).
 */
function renameInto(from: string, to: string): void {
  try {
    renameSync(from, to);
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') mkdirSync(path.dirname(to), { recursive: true });
    else if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR') rmSync(to, { recursive: true, force: true });
    else throw err;
  }
  // Once more after fixing what the first try reported (missing parents and an old folder in the
  // way cannot both be the case).
  renameSync(from, to);
}

/** Delete every file under `dir` whose path relative to it is not in `keep`. */
function pruneUnlisted(dir: string, keep: Set<string>, rel = ''): void {
  let entries: Dirent[];
  try {
    entries = readdirSync(path.join(dir, rel), { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) pruneUnlisted(dir, keep, r);
    else if (!keep.has(r)) rmSync(path.join(dir, r), { force: true });
  }
}


async function du(p: string): Promise<number> {
  const st = await fs.lstat(p);
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const e of await fs.readdir(p)) total += await du(path.join(p, e));
  return total;
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}
