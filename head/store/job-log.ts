/**
 * The job log of a batch: `state/batches/<id>/jobs.log`, where each coalesced flush appends one
 * line per job that changed since the last flush — `[position, job]` — instead of rewriting the
 * 500-job chunk documents that hold the job. A job changes three times in a normal life (assigned,
 * running, done); rewriting its whole chunk for each change, several times a second, cost the
 * store kilobytes per job at any throughput below thousands of jobs per second.
 *
 * The log is folded back into the chunks ("compacted") when it has grown to about twice the size
 * of the chunks it touches, when the batch ends, on close, and on start (a log left by a crash).
 * Loading applies the log over the chunks, last line of a job wins; a line torn by a crash
 * mid-append is skipped (the job keeps its earlier state, as when a coalesced write was lost).
 */
import fs from 'node:fs/promises';
import type { Job } from '../../shared/job/state.ts';

/** File name of a batch's job log. */
export const JOB_LOG = 'jobs.log';

/** One line of the log. */
export function jobLine(position: number, job: Job): string {
  return JSON.stringify([position, job]) + '\n';
}

/**
 * Apply the log at `file` to `jobs` (in spec order; `names` are the spec's job names, so a line
 * that does not match its position is ignored). Returns the positions it changed; none when there
 * is no log.
 */
export async function applyJobLog(file: string, jobs: Job[], names: string[]): Promise<number[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const changed = new Set<number>();
  for (const line of text.split('\n')) {
    if (!line) continue;
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch {
      continue; // torn by a crash mid-append
    }
    if (!Array.isArray(entry) || entry.length !== 2) continue;
    const [i, job] = entry as [unknown, Job | null];
    if (!Number.isInteger(i) || (i as number) < 0 || (i as number) >= jobs.length) continue;
    if (typeof job !== 'object' || job === null || job.name !== names[i as number] || typeof job.status?.state !== 'string') continue;
    jobs[i as number] = job;
    changed.add(i as number);
  }
  return [...changed].sort((a, b) => a - b);
}

/**
 * Bytes written to the log of one batch since its last compaction, and the chunks its lines
 * fall in: the log is compacted once it is about twice as large as those chunks.
 */
export class JobLogSize {
  bytes = 0;
  lines = 0;
  readonly chunks = new Set<number>();

  add(bytes: number, lines: number, chunks: Iterable<number>): void {
    this.bytes += bytes;
    this.lines += lines;
    for (const k of chunks) this.chunks.add(k);
  }

  /**
   * Time to fold the log into the chunks: it is over twice the size of the chunks it would
   * rewrite (estimated from its own average line, a job's size), and over 64 KiB.
   */
  due(jobsPerChunk: number, totalJobs: number): boolean {
    if (this.bytes < 64 * 1024 || this.lines === 0) return false;
    const perJob = this.bytes / this.lines;
    let jobsInChunks = 0;
    for (const k of this.chunks) jobsInChunks += Math.min(jobsPerChunk, totalJobs - k * jobsPerChunk);
    return this.bytes > 2 * perJob * jobsInChunks;
  }
}
