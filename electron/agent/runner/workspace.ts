/**
 * The agent's folders on the node:
 *   <workdir>/cache/<sha256>                 inputs downloaded from the head (content-addressed)
 *   <workdir>/batches/<batchId>/             the batch folder, the jobs' working folder:
 *        <build file>, <job script>, input/, distribute_save/
 *   <workdir>/runs/<batchId>/<job>.<runId>/  stdout.log, stderr.log, exit-code of one run
 *                                            (`<job>.<attempt>` for a run begun under version 0.1)
 *   <workdir>/work/<batchId>/<job>.<runId>/  working folder of a job with a request: its own
 *        input/, distribute_save/ and script, and a link to every other entry of the batch folder
 *        (what the build step made), so jobs of one batch running side by side never share inputs
 *        or results. A job without a request has the node alone and works in the batch folder.
 *   <workdir>/spare/<n>/                     empty run folders kept for the next runs
 *                                            (see {@link Workspace.makeRunDir})
 *   <workdir>/agent-state.json               built batches, the runs held, recent jobs
 * Inputs are copied (reflinked where the file system can) from the cache, so a job that edits
 * its input never corrupts the cache.
 */
import fs from 'node:fs/promises';
import { accessSync, constants as fsc, mkdirSync, readdirSync, realpathSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { InputFile } from '../../../shared/batch/spec.ts';
import { INPUT_DIR, SAVE_DIR } from '../../../shared/job/command.ts';
import type { ResultFile } from '../../../shared/protocol/messages.ts';
import { sha256File } from '../transfer.ts';
import { emptyDir, emptySmallTree, removeTree } from './remove-tree.ts';

/** Empty run folders kept at most for the next runs. */
const SPARE_DIRS = 8;

export class Workspace {
  /** Empty run folders ready to be renamed into the next runs' places (paths under spare/). */
  private readonly spares: string[] = [];
  private spareCount = 0;

  constructor(readonly root: string) {}

  cachePath(sha256: string): string {
    return path.join(this.root, 'cache', sha256);
  }

  batchDir(batchId: string): string {
    return path.join(this.root, 'batches', batchId);
  }

  /** The folder of one run (`key` is its run id; see {@link runDirOf}). */
  runDir(batchId: string, job: string, key: string): string {
    return path.join(this.root, 'runs', batchId, `${job}.${key}`);
  }

  /** The folder of `run`: named by its run id, or kept where version 0.1 put it (`dirKey`). */
  runDirOf(run: { batch: { id: string }; spec: { name: string }; runId: string; dirKey?: string }): string {
    return this.runDir(run.batch.id, run.spec.name, run.dirKey ?? run.runId);
  }

  /** Working folder of a run that shares the node (see the layout above). */
  workDir(batchId: string, job: string, runId: string): string {
    return path.join(this.root, 'work', batchId, `${job}.${runId}`);
  }

  statePath(): string {
    return path.join(this.root, 'agent-state.json');
  }

  async init(): Promise<void> {
    // The workdir holds credentials and other users' inputs: only this user may look in, also
    // when an earlier version created it 0755.
    await fs.mkdir(this.root, { recursive: true, mode: 0o700 });
    await fs.chmod(this.root, 0o700);
    for (const d of ['cache', 'batches', 'runs', 'work']) await fs.mkdir(path.join(this.root, d), { recursive: true });
    // Spare folders of an earlier agent process are not trusted to be empty: start afresh.
    await fs.rm(this.spareRoot(), { recursive: true, force: true });
    await fs.mkdir(this.spareRoot(), { recursive: true });
  }

  private spareRoot(): string {
    return path.join(this.root, 'spare');
  }

  /**
   * Creates the folder of a new run (`dir`, from {@link runDirOf}): an empty folder an earlier
   * run left ({@link retireRunDir}) renamed into place, else a new one. Why: a folder made and
   * removed per job costs an inode and a data block each time; on ext4 without a journal the
   * inode allocation skips every inode freed in the last 30 s and, on a disk mounted with
   * `discard`, freeing the block waits for the discard (measured: ~0.1 ms of CPU and ~0.5 ms of
   * wall time per job, against ~0.05 and ~0.1 for two renames).
   */
  makeRunDir(dir: string): void {
    const spare = this.spares.pop();
    if (spare && this.moveSpare(spare, dir)) return;
    mkdirSync(dir, { recursive: true });
  }

  /** Renames `spare` to `dir`, making the batch's runs folder when missing; false when it cannot. */
  private moveSpare(spare: string, dir: string): boolean {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        renameSync(spare, dir);
        return true;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' && attempt === 0) {
          // The batch's first run here: make its runs/<batch>/ folder and try again.
          mkdirSync(path.dirname(dir), { recursive: true });
          continue;
        }
        // `dir` exists with files in it (kept as it is): the spare stays for the next run. Any
        // other failure drops the spare.
        if (code === 'ENOTEMPTY' || code === 'EEXIST') this.spares.push(spare);
        return false;
      }
    }
    return false;
  }

  /**
   * Removes a run's folder `dir` once the run is over on this node: emptied and kept for a next
   * run ({@link makeRunDir}; at most {@link SPARE_DIRS}), else removed. The logs are unlinked, never
   * reused: a process the job left behind may still write to them.
   */
  async retireRunDir(dir: string): Promise<void> {
    if (this.spares.length < SPARE_DIRS && emptySmallTree(dir) === 'emptied') {
      const spare = path.join(this.spareRoot(), String(this.spareCount++));
      try {
        renameSync(dir, spare);
        this.spares.push(spare);
        return;
      } catch { /* removed below */ }
    }
    await removeTree(dir, { holdsFiles: true });
  }

  /** Whether the input is in the cache (synchronous: one access call per input of every job). */
  hasCached(sha256: string): boolean {
    try {
      accessSync(this.cachePath(sha256));
      return true;
    } catch {
      return false;
    }
  }

  /** Copy a cached input to `dest` (reflink when possible). */
  async place(file: InputFile, dest: string): Promise<void> {
    await fs.mkdir(path.dirname(dest), { recursive: true });
    await fs.rm(dest, { force: true, recursive: true });
    await fs.copyFile(this.cachePath(file.sha256), dest, fsc.COPYFILE_FICLONE);
  }

  /**
   * Creates a shared run's working folder `dir` with a link to every entry of the batch folder
   * except `input/`, `distribute_save/` and `skip` (the job's own script), which the run gets its own of.
   */
  async linkBatchFolder(batchId: string, dir: string, skip: string[] = []): Promise<void> {
    const batchDir = this.batchDir(batchId);
    await fs.mkdir(dir, { recursive: true });
    const own = new Set([INPUT_DIR, SAVE_DIR, ...skip]);
    for (const name of await fs.readdir(batchDir).catch(() => [] as string[])) {
      if (own.has(name)) continue;
      const link = path.join(dir, name);
      await fs.rm(link, { force: true, recursive: true });
      await fs.symlink(path.join(batchDir, name), link);
    }
  }

  /** Reset `input/` and `distribute_save/` of the working folder `dir` and lay out the job's inputs. */
  async prepareJob(dir: string, initFiles: InputFile[], jobFiles: InputFile[], script?: InputFile): Promise<{ inputDir: string; saveDir: string }> {
    const inputDir = path.join(dir, INPUT_DIR);
    const saveDir = path.join(dir, SAVE_DIR);
    // On the path from one job's end to the next job's start: both folders are usually empty or
    // gone (the last job's results were moved out), which emptyDir handles synchronously.
    await Promise.all([emptyDir(inputDir), emptyDir(saveDir)]);
    for (const f of initFiles) await this.place(f, path.join(inputDir, f.alias));
    for (const f of jobFiles) await this.place(f, path.join(inputDir, f.alias));
    if (script) await this.place(script, path.join(dir, script.alias));
    return { inputDir, saveDir };
  }

  async removeBatch(batchId: string): Promise<void> {
    await fs.rm(this.batchDir(batchId), { recursive: true, force: true });
    await fs.rm(path.join(this.root, 'runs', batchId), { recursive: true, force: true });
    await fs.rm(path.join(this.root, 'work', batchId), { recursive: true, force: true });
  }

  async removeCached(sha256s: string[]): Promise<void> {
    for (const s of sha256s) await fs.rm(this.cachePath(s), { force: true });
  }
}

/** Directory entries listed between two turns of the event loop while collecting results. */
const ENTRIES_PER_TURN = 1000;

/**
 * Every regular file under `saveDir`, with its path relative to it. Symlinks are followed only
 * when their target stays inside `saveDir`; links pointing out of it are skipped and reported.
 * Rejects (ENOENT) when `saveDir` does not exist.
 *
 * The listing is synchronous (a job usually saves a few files or none, and this runs twice per
 * job) but gives the event loop a turn every {@link ENTRIES_PER_TURN} entries, so a job that
 * saved many thousands of files never stalls the agent.
 */
export async function collectResults(saveDir: string): Promise<{ files: { rel: string; abs: string }[]; skipped: string[] }> {
  const files: { rel: string; abs: string }[] = [];
  const skipped: string[] = [];
  // Resolved only when a link needs checking: most result folders hold none.
  let root: string | null = null;
  let listed = 0;
  async function walk(dir: string, rel: string): Promise<void> {
    const entries = readdirSync(dir, { withFileTypes: true });
    listed += entries.length;
    if (listed >= ENTRIES_PER_TURN) {
      listed = 0;
      await nextTurn();
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const abs = path.join(dir, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isSymbolicLink()) {
        root ??= realpathSync(saveDir);
        let target: string;
        try {
          target = realpathSync(abs);
        } catch {
          skipped.push(`${r} (dangling link)`);
          continue;
        }
        if (!target.startsWith(root + path.sep)) {
          skipped.push(`${r} (link points outside distribute_save)`);
          continue;
        }
        const st = statSync(target);
        if (st.isFile()) files.push({ rel: r, abs: target });
        else skipped.push(`${r} (link to a folder)`);
      } else if (e.isDirectory()) {
        await walk(abs, r);
      } else if (e.isFile()) {
        files.push({ rel: r, abs });
      }
    }
  }
  await walk(saveDir, '');
  return { files, skipped };
}

/** Hash the files to upload. */
export async function describeFiles(files: { rel: string; abs: string }[]): Promise<(ResultFile & { abs: string })[]> {
  const out: (ResultFile & { abs: string })[] = [];
  for (const f of files) {
    const h = await sha256File(f.abs);
    out.push({ path: f.rel, abs: f.abs, size: h.size, sha256: h.sha256 });
  }
  return out;
}
