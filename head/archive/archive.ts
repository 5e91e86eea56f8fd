/**
 * The results archive on the head: `<data>/archive/<namespace>/<batch>/<job>/` holds what the job
 * left in `distribute_save/` plus `_distribute/stdout.log`, `_distribute/stderr.log` and
 * `_distribute/result.json` (node, exit code, times, file list with sha256). Uploads land in
 * `<data>/staging/<batchId>/<job>/<attempt>/` and move into the archive with one rename once the
 * head accepts the result, so a job's archive folder is either absent or complete.
 * Batch inputs are content-addressed under `<data>/inputs/<sha256>`.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { JobResult } from '../../shared/job/state.ts';
import type { ResultFile } from '../../shared/protocol/messages.ts';
import { resolveInside } from './safe-path.ts';

import { META_DIR, RESULT_FILE } from '../../shared/archive-layout.ts';
export { META_DIR, RESULT_FILE, STDOUT_FILE, STDERR_FILE } from '../../shared/archive-layout.ts';

/** What `_distribute/result.json` holds. */
export interface JobResultMeta {
  batchId: string;
  namespace: string;
  batch: string;
  job: string;
  attempt: number;
  node: string;
  result: JobResult;
  startedAt: number;
  endedAt: number;
  runMs: number;
  files: ResultFile[];
  bytes: number;
}

export class Archive {
  readonly archiveRoot: string;
  readonly stagingRoot: string;
  readonly inputsRoot: string;

  constructor(dataDir: string) {
    this.archiveRoot = path.join(dataDir, 'archive');
    this.stagingRoot = path.join(dataDir, 'staging');
    this.inputsRoot = path.join(dataDir, 'inputs');
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

  stagingDir(batchId: string, job: string, attempt: number): string {
    return path.join(this.stagingRoot, batchId, job, String(attempt));
  }

  inputPath(sha256: string): string {
    return path.join(this.inputsRoot, sha256);
  }

  async hasInput(sha256: string): Promise<boolean> {
    return exists(this.inputPath(sha256));
  }

  /** Where an upload of result file `rel` goes, or an error when the path is unsafe. */
  stagingFile(batchId: string, job: string, attempt: number, rel: string) {
    return resolveInside(this.stagingDir(batchId, job, attempt), rel);
  }

  /** Paths among `files` that are not (completely) in staging. */
  async missingStaged(batchId: string, job: string, attempt: number, files: ResultFile[]): Promise<string[]> {
    const missing: string[] = [];
    for (const f of files) {
      const p = this.stagingFile(batchId, job, attempt, f.path);
      if (!p.ok || !p.abs) { missing.push(f.path); continue; }
      try {
        const st = await fs.stat(p.abs);
        if (!st.isFile() || st.size !== f.size) missing.push(f.path);
      } catch {
        missing.push(f.path);
      }
    }
    return missing;
  }

  /**
   * Move a staged result into the archive: write result.json into staging, remove any previous
   * archive folder of the job, rename staging into place.
   */
  async commit(meta: JobResultMeta): Promise<void> {
    const staging = this.stagingDir(meta.batchId, meta.job, meta.attempt);
    await fs.mkdir(path.join(staging, META_DIR), { recursive: true });
    const tmp = path.join(staging, `${RESULT_FILE}.tmp`);
    await fs.writeFile(tmp, JSON.stringify(meta, null, 1));
    await fs.rename(tmp, path.join(staging, RESULT_FILE));
    const target = this.jobDir(meta.namespace, meta.batch, meta.job);
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.rm(target, { recursive: true, force: true });
    await fs.rename(staging, target);
  }

  /** Batch ids with uploads in staging (none when staging is missing). */
  async stagedBatchIds(): Promise<string[]> {
    try {
      return await fs.readdir(this.stagingRoot);
    } catch {
      return [];
    }
  }

  async discardStaging(batchId: string, job?: string, attempt?: number): Promise<void> {
    const dir = job === undefined ? path.join(this.stagingRoot, batchId)
      : attempt === undefined ? path.join(this.stagingRoot, batchId, job) : this.stagingDir(batchId, job, attempt);
    await fs.rm(dir, { recursive: true, force: true });
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
  }

  /** Bytes used per namespace in the archive. */
  async diskUsage(): Promise<Record<string, number>> {
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
