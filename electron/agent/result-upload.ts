/**
 * Uploads a finished job's results to the head, into the run's staging (with the run's key, which
 * the head requires): every file of its working folder's `distribute_save/` plus the job's stdout and
 * stderr logs, each hashed as it is sent. Small files up to the head's inline allowance (a trivial
 * job's logs) are only hashed here: their bytes go inside the report ({@link readInline}), which
 * saves an HTTP request per job. Other files up to 1 MiB go together in one request (a result
 * stream, ./result-stream.ts), larger ones one request each, up to 4 requests at a time; a head
 * without the stream route gets every file on its own, as before.
 */
import { sha256Hex } from '../../shared/hash-file.ts';
import fsSync from 'node:fs';
import path from 'node:path';
import { META_DIR, STDERR_FILE, STDOUT_FILE } from '../../shared/archive-layout.ts';
import { checkRelativePath, printable } from '../../shared/names.ts';
import { SAVE_DIR } from '../../shared/job/command.ts';
import { RUN_KEY_HEADER, routes, type InlineFile, type ResultFile } from '../../shared/protocol/index.ts';
import type { PersistedRun } from './agent-store.ts';
import { collectResults, isEmptyFolder, jobFiles, workDirOf, type Workspace } from './runner/index.ts';
import { NoResultStream, uploadResultStream } from './result-stream.ts';
import { uploadFile } from './transfer.ts';
import { retryUpload } from './upload-retry.ts';

/**
 * Where the results of `run` are: its run folder's `distribute_save/` once they were moved there
 * at the job's exit ({@link keepResults}), else the job's working folder's.
 */
export function resultsDirOf(ws: Workspace, run: PersistedRun): string {
  return run.resultsKept ? path.join(ws.runDirOf(run), SAVE_DIR) : path.join(workDirOf(ws, run), SAVE_DIR);
}

/**
 * What {@link keepResults} found, for the upload that follows it (uploadResults takes it once,
 * within {@link LOOKED_AT_MS}): that the run's folder holds no results folder (nothing was moved),
 * and the size of each file it stat'ed (undefined: missing). Spares a trivial job's upload a stat
 * of a folder that is not there and a second stat of each log about a millisecond later.
 */
const lookedAt = new WeakMap<PersistedRun, { at: number; noResults: boolean; sizes: Map<string, number | undefined> }>();
/** How old what keepResults found may be for the upload to go by it. */
const LOOKED_AT_MS = 100;

/**
 * Moves the `distribute_save/` of a run whose processes ended out of its working folder into the
 * run's own folder (a rename: the same file system), so the node's next job, which may work in
 * the same folder, neither resets nor mixes into these results while they upload. An empty one
 * (a job that saved nothing) stays where it is for the next job: there is nothing to keep, and
 * moving it would cost a rename now, a new folder for the next job and a removal later. Sets
 * `run.resultsKept` (the caller saves it) and returns the results' size in bytes, logs included.
 * Called again after a restart it finds the folder moved already (or empty).
 */
export async function keepResults(ws: Workspace, run: PersistedRun): Promise<number> {
  const kept = path.join(ws.runDirOf(run), SAVE_DIR);
  // Whether `kept` may hold results: not when this call found nothing to move (the usual
  // trivial job), which spares listing a folder that is not there.
  let moved = true;
  if (!run.resultsKept) {
    const from = path.join(workDirOf(ws, run), SAVE_DIR);
    const move = () => fsSync.renameSync(from, kept);
    // One rename on the usual path (the run folder holds the logs already); the folder is made
    // only when the rename says it is missing. Nothing to move (nothing saved, or moved before a
    // restart) is fine. Synchronous: a rename costs microseconds, through the thread pool ten
    // times that in CPU.
    try {
      if (isEmptyFolder(from, true)) moved = false;
      else move();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      fsSync.mkdirSync(ws.runDirOf(run), { recursive: true });
      try {
        move();
      } catch (again) {
        if ((again as NodeJS.ErrnoException).code !== 'ENOENT') throw again;
      }
    }
    run.resultsKept = true;
  }
  const { stdoutPath, stderrPath } = jobFiles(ws.runDirOf(run));
  const { files } = moved ? await collectResultsIfAny(kept) : { files: [] };
  const paths = [...files.map((f) => f.abs), stdoutPath, stderrPath];
  const sizes = paths.map((abs) => fsSync.statSync(abs, { throwIfNoEntry: false })?.size);
  lookedAt.set(run, { at: performance.now(), noResults: !moved, sizes: new Map(paths.map((abs, i) => [abs, sizes[i]])) });
  return sizes.reduce((a: number, b) => a + (b ?? 0), 0);
}

/**
 * The results under `dir` ({@link collectResults}); none when it does not exist (a job that saved
 * nothing), found by a stat that reports a missing folder without building an exception (a
 * failed listing costs a JavaScript error with its stack trace, twice per trivial job).
 */
async function collectResultsIfAny(dir: string): Promise<{ files: { rel: string; abs: string }[]; skipped: string[] }> {
  if (!fsSync.statSync(dir, { throwIfNoEntry: false })) return { files: [], skipped: [] };
  return collectResults(dir).catch(() => ({ files: [], skipped: [] }));
}

/** Uploads (a stream of small files, or one large file) at the same time (the keep-alive pool of transfer.ts holds 8 sockets). */
const PARALLEL_UPLOADS = 4;
/** Files up to this size go into a result stream (./result-stream.ts), read whole. */
const STREAM_FILE = 1 << 20;
/** At most this many files and bytes per result stream. */
const STREAM_FILES = 2000;
const STREAM_BYTES = 64 << 20;

/** One request: a stream of small files (indexes into the files to upload), or one file. */
type Task = { kind: 'stream'; files: number[] } | { kind: 'file'; i: number };

/**
 * Heads that answered they have no result-stream route (older versions): file by file to them,
 * until the agent connects to the head again (it may have been upgraded meanwhile).
 */
const noStreams = new Set<string>();
const streamsTo = (headUrl: string) => !noStreams.has(headUrl);

/** A new connection to the head at `headUrl` was welcomed: try result streams with it again. */
export function forgetNoStreams(headUrl: string): void {
  noStreams.delete(headUrl);
}

/** Where results go and where they are read from. */
export interface ResultUploadContext {
  ws: Workspace;
  headUrl: string;
  token: string;
  log: (line: string) => void;
}

/** What {@link uploadResults} did: every file for the report, and which of them it did not upload. */
export interface UploadedResults {
  files: ResultFile[];
  skipped: string[];
  /** Paths of `files` left for the report to carry inline. */
  inline?: string[];
}

/** The sha256 of no bytes (an empty file's). */
const EMPTY_SHA256 = sha256Hex('');

/** Most files one report carries inline (the protocol's limit). */
const INLINE_FILES = 1000;

/**
 * Where archive path `rel` of `run`'s results is on this node: the logs in the run's folder, the
 * rest under its `distribute_save/`.
 */
function resultFileOf(ws: Workspace, run: PersistedRun, rel: string): string {
  const { stdoutPath, stderrPath } = jobFiles(ws.runDirOf(run));
  return rel === STDOUT_FILE ? stdoutPath : rel === STDERR_FILE ? stderrPath : path.join(resultsDirOf(ws, run), rel);
}

/**
 * The bytes of `run`'s result files `paths` for its report, in base64. A file that cannot be read
 * any more is left out: the head then reports it missing and it is uploaded (and fails there).
 */
export function readInline(ws: Workspace, run: PersistedRun, paths: string[]): InlineFile[] {
  const out: InlineFile[] = [];
  // A file listed empty goes as empty without reading it (most jobs' logs): that is what the
  // report's list says (if it grew since, the list's size and hash still name the empty file).
  const empty = new Set(run.state.phase === 'finished' ? run.state.finished.files.filter((f) => f.size === 0).map((f) => f.path) : []);
  for (const rel of paths) {
    if (empty.has(rel)) {
      out.push({ path: rel, data: '' });
      continue;
    }
    try {
      out.push({ path: rel, data: fsSync.readFileSync(resultFileOf(ws, run, rel)).toString('base64') });
    } catch { /* reported missing by the head, then uploaded */ }
  }
  return out;
}

/**
 * Uploads the results of `run` and returns the list for job-finished; with `only`, uploads just
 * those archive paths again (the ones the head reported missing), never inline. With
 * `inlineBytes` (the head's allowance), the smallest files up to that many bytes in all are
 * hashed but not uploaded, and named in `inline`. Files the archive cannot take
 * (skipped by collection, under the reserved {@link META_DIR}, or with a name the head cannot store:
 * a backslash, a control character, a segment over 200 characters; see shared/names.ts) are named
 * in the job's stderr log and returned as `skipped`, which job-finished carries into the job's
 * result.json. Such a file never makes the job run again.
 */
export async function uploadResults(ctx: ResultUploadContext, run: PersistedRun, only?: Set<string>, inlineBytes = 0): Promise<UploadedResults> {
  const saveDir = resultsDirOf(ctx.ws, run);
  const { stdoutPath, stderrPath } = jobFiles(ctx.ws.runDirOf(run));
  let seen = only ? undefined : lookedAt.get(run);
  if (seen) {
    lookedAt.delete(run);
    if (performance.now() - seen.at > LOOKED_AT_MS) seen = undefined;
  }
  const { files, skipped } = seen?.noResults ? { files: [], skipped: [] as string[] } : await collectResultsIfAny(saveDir);
  const reserved = files.filter((f) => f.rel.startsWith(`${META_DIR}/`));
  for (const f of reserved) skipped.push(`${f.rel} (${META_DIR}/ is reserved for distribute's own files)`);
  const unstorable = files.filter((f) => !checkRelativePath(f.rel).ok);
  for (const f of unstorable) {
    const check = checkRelativePath(f.rel);
    skipped.push(`${printable(f.rel.length > 300 ? `${f.rel.slice(0, 300)}...` : f.rel)} (the archive cannot store this name: ${check.ok ? '' : printable(check.error.slice(0, 400))})`);
  }
  if (skipped.length) {
    fsSync.appendFileSync(stderrPath, `distribute: not archived: ${skipped.join(', ')}\n`);
    // The log just grew: the size keepResults found is stale.
    seen?.sizes.delete(stderrPath);
  }
  const all = [...files.filter((f) => !reserved.includes(f) && !unstorable.includes(f)),
    { rel: STDOUT_FILE, abs: stdoutPath }, { rel: STDERR_FILE, abs: stderrPath }];
  const todo = all.filter((f) => !only || only.has(f.rel));
  const uploaded: (ResultFile | null)[] = todo.map(() => null);
  // Synchronous stats and reads: these are small files just written by the job, in the page cache.
  // (As keepResults found them a moment ago, when it did.)
  const sizes = todo.map((f) => (seen?.sizes.has(f.abs) ? seen.sizes.get(f.abs) : fsSync.statSync(f.abs, { throwIfNoEntry: false })?.size));
  // The logs always exist in the archive, even for a job that never wrote (or never started).
  todo.forEach((f, i) => {
    if (sizes[i] !== undefined || (f.rel !== STDOUT_FILE && f.rel !== STDERR_FILE)) return;
    fsSync.closeSync(fsSync.openSync(f.abs, 'a'));
    sizes[i] = 0;
  });
  const inline = new Set<number>();
  if (!only && inlineBytes > 0) {
    let room = inlineBytes;
    const bySize = todo.map((_, i) => i).filter((i) => sizes[i] !== undefined).sort((a, b) => sizes[a]! - sizes[b]!);
    for (const i of bySize) {
      if (sizes[i]! > room || inline.size >= INLINE_FILES) break;
      // An empty file (most logs) needs no read: its hash is known.
      const data = sizes[i] === 0 ? null : fsSync.readFileSync(todo[i].abs);
      if (data && data.length > room) break; // grew since the stat: upload it
      room -= data?.length ?? 0;
      inline.add(i);
      uploaded[i] = { path: todo[i].rel, size: data?.length ?? 0, sha256: data ? sha256Hex(data) : EMPTY_SHA256 };
    }
  }
  const headers: Record<string, string> = run.runKey ? { [RUN_KEY_HEADER]: run.runKey } : {};
  // Small files (the logs, most results) go in one request; large ones each in its own, where a
  // 507 or a cut connection costs only that file's resend.
  const tasks: Task[] = [];
  let group: number[] = [];
  let groupBytes = 0;
  todo.forEach((f, i) => {
    if (inline.has(i)) return undefined;
    const size = sizes[i];
    if (size === undefined || size > STREAM_FILE || !streamsTo(ctx.headUrl)) return tasks.push({ kind: 'file', i });
    if (group.length && (group.length >= STREAM_FILES || groupBytes + size > STREAM_BYTES)) {
      tasks.unshift({ kind: 'stream', files: group });
      group = [];
      groupBytes = 0;
    }
    group.push(i);
    groupBytes += size;
    return undefined;
  });
  if (group.length) tasks.unshift({ kind: 'stream', files: group });
  let next = 0;
  let gone = false;
  let failure: { err: unknown } | null = null;
  const upload = async (task: Task) => {
    if (task.kind === 'file') {
      const f = todo[task.i];
      const url = new URL(routes.agentResult(run.runId, f.rel), ctx.headUrl).toString();
      uploaded[task.i] = { path: f.rel, ...await retryUpload(() => uploadFile(url, ctx.token, f.abs, headers), 5, ctx.log) };
      return;
    }
    const url = new URL(routes.agentResultStream(run.runId), ctx.headUrl).toString();
    const send = () => uploadResultStream(url, ctx.token, task.files.map((i) => todo[i]), headers)
      .catch((err: unknown) => { if (err instanceof NoResultStream) return null; throw err; });
    const sent = await retryUpload(send, 5, ctx.log);
    if (sent) {
      task.files.forEach((i, k) => { uploaded[i] = sent[k]; });
      return;
    }
    // A head older than the stream route: these files one by one, by the workers.
    noStreams.add(ctx.headUrl);
    for (const i of task.files) tasks.push({ kind: 'file', i });
  };
  // A few uploads at once. Every file is still uploaded before job-finished is sent, so the
  // head's checks are unchanged.
  const worker = async () => {
    while (!gone && !failure && next < tasks.length) {
      try {
        await upload(tasks[next++]);
      } catch (err) {
        if (!/HTTP 410/.test((err as Error).message)) {
          failure ??= { err };
          return;
        }
        // The head no longer wants this run's files (its job is done or another run won): report
        // what there is; the head answers "discarded".
        if (!gone) ctx.log(`results of ${run.batch.name}/${run.spec.name} are no longer wanted: ${(err as Error).message}`);
        gone = true;
      }
    }
  };
  // Wait for every upload to settle before throwing, so none outlives the run it belongs to.
  // (A stream group that falls back adds file tasks: a second round picks them up.)
  while (!gone && !failure && next < tasks.length) {
    await Promise.all(Array.from({ length: Math.min(PARALLEL_UPLOADS, tasks.length - next) }, worker));
  }
  if (failure) throw (failure as { err: unknown }).err;
  return { files: uploaded.filter((f): f is ResultFile => f !== null), skipped, ...(inline.size ? { inline: [...inline].map((i) => todo[i].rel) } : {}) };
}
