/**
 * The output of running jobs, kept by the head from the first line, so `logs` of a running or
 * paused job prints what it wrote so far and `logs --follow` starts at the first line instead of
 * at the moment it was asked. Agents stream every job's output (`job-log`); this keeps it per job
 * for the run the head counts (an older run's lines are dropped) until the job ends, when the
 * archived `stdout.log`/`stderr.log` take over. Each run keeps at most `maxBytes`; past that the
 * oldest chunks go (the archive still gets everything) and the snapshot says how much is missing.
 */
import type { HeadEventBus } from './events.ts';

export type LogStream = 'stdout' | 'stderr';
export interface LogChunk { stream: LogStream; data: string }

/** What `logs` shows of a running job: its chunks in arrival order and how many bytes were dropped. */
export interface LogSnapshot { chunks: LogChunk[]; droppedBytes: number }

interface RunLog { attempt: number; chunks: (LogChunk & { bytes: number })[]; bytes: number; droppedBytes: number }

/** Default per-run cap: enough for any sane job's progress output, bounded for a noisy one. */
export const LIVE_LOG_MAX_BYTES = 4 * 1024 * 1024;

export class LiveLogs {
  private readonly runs = new Map<string, RunLog>();

  constructor(events: HeadEventBus, private readonly maxBytes = LIVE_LOG_MAX_BYTES) {
    // The archive holds a finished job's logs; a re-queued job starts over with its next run.
    events.on('job:finished', (e) => this.forget(e.batchId, e.job));
    events.on('job:requeued', (e) => this.forget(e.batchId, e.job));
    events.on('batch:ended', (e) => this.forgetBatch(e.batchId));
  }

  /** Keep a chunk of run `attempt` of a job; a chunk of an older run than the one kept is dropped. */
  append(batchId: string, job: string, attempt: number, stream: LogStream, data: string): boolean {
    const key = keyOf(batchId, job);
    let run = this.runs.get(key);
    if (run && attempt < run.attempt) return false;
    if (!run || attempt > run.attempt) {
      run = { attempt, chunks: [], bytes: 0, droppedBytes: 0 };
      this.runs.set(key, run);
    }
    run.chunks.push({ stream, data, bytes: Buffer.byteLength(data) });
    run.bytes += run.chunks[run.chunks.length - 1].bytes;
    // The cap counts UTF-8 bytes, as droppedBytes does (it used to count UTF-16 units, so a run
    // of non-ASCII output could keep up to 3× the cap).
    while (run.bytes > this.maxBytes && run.chunks.length > 1) {
      const old = run.chunks.shift()!;
      run.bytes -= old.bytes;
      run.droppedBytes += old.bytes;
    }
    return true;
  }

  /** The output of the job's current run so far (empty when it printed nothing yet). */
  snapshot(batchId: string, job: string): LogSnapshot {
    const run = this.runs.get(keyOf(batchId, job));
    return run ? { chunks: run.chunks.map(({ stream, data }) => ({ stream, data })), droppedBytes: run.droppedBytes } : { chunks: [], droppedBytes: 0 };
  }

  forget(batchId: string, job: string): void {
    this.runs.delete(keyOf(batchId, job));
  }

  forgetBatch(batchId: string): void {
    const prefix = `${batchId}\0`;
    for (const key of [...this.runs.keys()]) if (key.startsWith(prefix)) this.runs.delete(key);
  }

  /** Jobs with output kept (for tests and leak checks). */
  get size(): number {
    return this.runs.size;
  }
}

function keyOf(batchId: string, job: string): string {
  return `${batchId}\0${job}`;
}

/**
 * The last `n` lines of `text` (a final line without a newline counts as a line). `n` of 0 gives
 * the empty string; undefined gives the whole text.
 */
export function tailLines(text: string, n: number | undefined): string {
  if (n === undefined) return text;
  if (n <= 0) return '';
  const ends = text.endsWith('\n');
  const lines = (ends ? text.slice(0, -1) : text).split('\n');
  return lines.length <= n ? text : lines.slice(-n).join('\n') + (ends ? '\n' : '');
}
