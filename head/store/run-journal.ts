/**
 * The run journal: per batch, `state/batches/<id>/runs.jsonl`, one JSON line per run (assignment),
 * appended and synced to disk before the run's `assign` is sent (see store.ts).
 *
 * Group commit: each batch's file stays open, and at most one write + fdatasync runs per file at a
 * time. Records that arrive while one is in flight wait and go out together in the next one, so a
 * head assigning thousands of jobs a second pays one sync per round trip to the disk, not one per
 * job, and nobody's record waits longer than one sync behind another's. (Before: open, append,
 * fsync and close per scheduling pass, and passes queued behind the coalesced job-state flush.)
 *
 * A line torn by a crash mid-append belonged to an assign never sent; reading skips it, and the
 * next append after a restart starts on a fresh line.
 *
 * The write itself is synchronous (a few hundred bytes into the page cache: ~0.02 ms of CPU, where
 * an `fs/promises` write through the thread pool costs ~0.1 ms); only the fdatasync, which waits
 * for the disk, goes to the thread pool, so the event loop does not wait for the disk's flush.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { RunRecord } from '../state/types.ts';

/** File name of a batch's run journal. */
export const RUN_JOURNAL = 'runs.jsonl';

/** Files kept open between appends; past this the least recently used idle one is closed. */
const MAX_OPEN = 32;

interface Waiter { text: string; resolve: () => void; reject: (err: Error) => void }

interface BatchJournal {
  file: string;
  /** Open for appending (O_APPEND), or null. */
  fd: number | null;
  queue: Waiter[];
  /** The write + sync in flight (resolves when it and everything queued behind it are done). */
  draining: Promise<void> | null;
  /** Opened with a possibly torn last line: start the first append on a new line. */
  needsNewline: boolean | null;
}

/** The records of a run journal; a line torn by a crash mid-append (never acknowledged) is skipped. */
export async function readJournal(file: string): Promise<RunRecord[]> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch {
    return [];
  }
  const out: RunRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const r = JSON.parse(line) as RunRecord;
      if (typeof r.runId === 'string' && typeof r.job === 'string' && typeof r.node === 'string') out.push(r);
    } catch { /* torn line */ }
  }
  return out;
}

export class RunJournal {
  private readonly batches = new Map<string, BatchJournal>();
  /** Syncs done so far (for tests and benchmarks: how well appends were grouped). */
  syncs = 0;

  /**
   * @param dirOf folder of a batch's state (created if missing)
   * @param count adds the bytes written (the store's counter)
   */
  constructor(private readonly dirOf: (batchId: string) => string, private readonly count: (bytes: number) => void) {}

  /** Append `runs` to their batches' journals; resolves once every line is on disk. */
  append(runs: RunRecord[]): Promise<void> {
    const byBatch = new Map<string, string>();
    for (const r of runs) byBatch.set(r.batchId, (byBatch.get(r.batchId) ?? '') + JSON.stringify(r) + '\n');
    return Promise.all([...byBatch].map(([batchId, text]) => this.enqueue(batchId, text))).then(() => undefined);
  }

  private enqueue(batchId: string, text: string): Promise<void> {
    let j = this.batches.get(batchId);
    if (!j) {
      j = { file: path.join(this.dirOf(batchId), RUN_JOURNAL), fd: null, queue: [], draining: null, needsNewline: null };
      this.batches.set(batchId, j);
    } else {
      // Most recently used last (see closeIdle).
      this.batches.delete(batchId);
      this.batches.set(batchId, j);
    }
    const journal = j;
    const done = new Promise<void>((resolve, reject) => journal.queue.push({ text, resolve, reject }));
    this.kick(journal);
    return done;
  }

  /** Start draining unless a drain is running (it picks up whatever is queued before it ends). */
  private kick(j: BatchJournal): void {
    if (j.draining) return;
    j.draining = this.drain(j).then(() => {
      j.draining = null;
      // Queued after the last group was taken, between the loop's end and here.
      if (j.queue.length) this.kick(j);
      else this.closeIdle();
    });
  }

  /** Write and sync everything queued, group by group, until the queue is empty. */
  private async drain(j: BatchJournal): Promise<void> {
    while (j.queue.length) {
      const group = j.queue.splice(0);
      try {
        const fd = j.fd ?? this.open(j);
        let text = group.map((w) => w.text).join('');
        if (j.needsNewline) text = '\n' + text;
        const bytes = Buffer.from(text);
        writeAll(fd, bytes);
        await datasync(fd);
        this.syncs++;
        j.needsNewline = false;
        this.count(bytes.length);
        for (const w of group) w.resolve();
      } catch (err) {
        // Not on disk: those assigns are never sent. Reopen for the next group; the failed write
        // may have left part of a line, so that group starts on a new line.
        closeQuietly(j.fd);
        j.fd = null;
        j.needsNewline = null;
        for (const w of group) w.reject(err as Error);
      }
    }
  }

  /** Open a batch's journal for appending (once per batch while the head runs, so sync calls). */
  private open(j: BatchJournal): number {
    fs.mkdirSync(path.dirname(j.file), { recursive: true });
    const fd = fs.openSync(j.file, 'a');
    j.fd = fd;
    if (j.needsNewline === null) {
      const { size } = fs.fstatSync(fd);
      let last = '\n';
      if (size > 0) {
        const buf = Buffer.alloc(1);
        const rd = fs.openSync(j.file, 'r');
        try {
          fs.readSync(rd, buf, 0, 1, size - 1);
        } finally {
          fs.closeSync(rd);
        }
        last = buf.toString('latin1');
      }
      j.needsNewline = last !== '\n';
    }
    return fd;
  }

  /** Keep at most MAX_OPEN files open: close the least recently used idle ones. */
  private closeIdle(): void {
    let open = 0;
    for (const j of this.batches.values()) if (j.fd !== null) open++;
    for (const [id, j] of this.batches) {
      if (open <= MAX_OPEN) break;
      if (j.fd === null || j.draining || j.queue.length) continue;
      closeQuietly(j.fd);
      j.fd = null;
      this.batches.delete(id);
      open--;
    }
  }

  /** Wait for a batch's appends in flight, then close its file (the batch is being deleted). */
  async forget(batchId: string): Promise<void> {
    const j = this.batches.get(batchId);
    if (!j) return;
    while (j.draining) await j.draining;
    this.batches.delete(batchId);
    closeQuietly(j.fd);
    j.fd = null;
  }

  /** Wait for every append in flight and close all files. */
  async close(): Promise<void> {
    for (const id of [...this.batches.keys()]) await this.forget(id);
  }
}

/** Write every byte of `buf` at the end of `fd` (one write may be short). */
function writeAll(fd: number, buf: Buffer): void {
  for (let off = 0; off < buf.length;) off += fs.writeSync(fd, buf, off, buf.length - off);
}

function datasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}

function closeQuietly(fd: number | null): void {
  if (fd === null) return;
  try {
    fs.closeSync(fd);
  } catch { /* already unusable */ }
}
