/**
 * A finished job's `result.json` for the routes that list archived files (the manifest, file
 * streams, single files), read with one synchronous call. These routes read one per job of a
 * batch: 200 jobs cost 200 × 4 trips through the thread pool as promises (open, stat, read, close),
 * each waited for in turn, where a synchronous read of a small file from the page cache is a few
 * microseconds (the `pull` of 2,000 small files waited on them).
 */
import fs from 'node:fs';
import path from 'node:path';
import { RESULT_FILE, type Archive, type JobResultMeta } from '../../archive/archive.ts';

/** The parsed `result.json` and its bytes, or null when the job has none (or it is unreadable). */
export function readResultFileSync(archive: Archive, namespace: string, batch: string, job: string): { meta: JobResultMeta; raw: Buffer } | null {
  try {
    const raw = fs.readFileSync(path.join(archive.jobDir(namespace, batch, job), RESULT_FILE));
    return { meta: JSON.parse(raw.toString('utf8')) as JobResultMeta, raw };
  } catch {
    return null;
  }
}
