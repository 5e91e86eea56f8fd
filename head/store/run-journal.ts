/**
 * The run journal: per batch, `state/batches/<id>/runs.jsonl`, one JSON line per run (assignment),
 * written before the run's `assign` is sent (see store.ts) and synced to disk soon after.
 *
 * What is durable when (docs/fault-tolerance.md): `append` resolves once its lines are written to
 * the file (the kernel holds them: a crash of the head process, SIGKILL included, loses none of
 * them, and a restarted head reads them), so no `assign` leaves before its run is on record. The
 * file is then synced (`fdatasync`) in the background, at most once per {@link SYNC_DELAY_MS} per
 * file, for the disk itself: a power loss of the head machine can lose the runs of that last
 * moment, as it can lose the last writes of every other file of the head (none of which is synced).
 * Until 2026-11-30 each append waited for its own grouped `fdatasync` before the `assign` went
 * out: with two agents that was a sync for almost every job, a fifth of the head's CPU per trivial
 * job on this VM (the disk flush, the thread-pool hop and the wake-ups; docs/benchmarks.md), and
 * under load the assign waited tens of milliseconds for the disk.
 *
 * Each batch's file stays open; the lines of one scheduling pass go out in one synchronous write
 * (a few hundred bytes into the page cache: ~0.02 ms of CPU, where an `fs/promises` write through
 * the thread pool costs ~0.1 ms). Only the fdatasync, which waits for the disk, goes to the thread
 * pool, so the event loop does not wait for the disk's flush.
 *
 * A line torn by a crash mid-write belonged to an assign never sent; reading skips it, and the
 * next write after a restart starts on a fresh line.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { RunRecord } from '../state/types.ts';

/** File name of a batch's run journal. */
export const RUN_JOURNAL = 'runs.jsonl';

/** Files kept open between appends; past this the least recently used idle one is closed. */
const MAX_OPEN = 32;

/** Longest a written line waits for its file's next `fdatasync` (one sync per file per window). */
export const SYNC_DELAY_MS = 100;

interface BatchJournal {
  file: string;
  /** Open for appending (O_APPEND), or null. */
  fd: number | null;
  /** The background sync: waiting for its window, or running (resolves when done), or null. */
  syncing: Promise<void> | null;
  /** Lines were written since the last sync started. */
  dirty: boolean;
  /** The fdatasync running now, or null. */
  inFlight: Promise<void> | null;
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

  /**
   * Append `runs` to their batches' journals; resolves once every line is written to its file
   * (each batch's lines in one write), rejects when a write failed (then none of those assigns may
   * be sent). The files are synced to disk in the background (see the file's comment).
   */
  append(runs: RunRecord[]): Promise<void> {
    const byBatch = new Map<string, string>();
    for (const r of runs) byBatch.set(r.batchId, (byBatch.get(r.batchId) ?? '') + JSON.stringify(r) + '\n');
    try {
      for (const [batchId, text] of byBatch) this.write(this.journalOf(batchId), text);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    this.closeIdle();
    return Promise.resolve();
  }

  private journalOf(batchId: string): BatchJournal {
    let j = this.batches.get(batchId);
    if (!j) {
      j = { file: path.join(this.dirOf(batchId), RUN_JOURNAL), fd: null, syncing: null, dirty: false, inFlight: null, needsNewline: null };
    } else {
      // Most recently used last (see closeIdle).
      this.batches.delete(batchId);
    }
    this.batches.set(batchId, j);
    return j;
  }

  /** Write `text` at the end of the batch's file now, and have the file synced soon. */
  private write(j: BatchJournal, text: string): void {
    try {
      const fd = j.fd ?? this.open(j);
      const bytes = Buffer.from(j.needsNewline ? '\n' + text : text);
      writeAll(fd, bytes);
      j.needsNewline = false;
      this.count(bytes.length);
    } catch (err) {
      // Not written: those assigns are never sent. Reopen for the next write; the failed one may
      // have left part of a line, so the next starts on a new line.
      closeQuietly(j.fd);
      j.fd = null;
      j.needsNewline = null;
      throw err;
    }
    j.dirty = true;
    if (!j.syncing) j.syncing = this.syncLater(j);
  }

  /**
   * Sync the file once its window has passed, then again as long as lines keep coming (one sync
   * per window). A failed sync is not retried: the lines are written (a crash of the head process
   * keeps them) and the next window's sync covers them, as it covers any later write.
   */
  private async syncLater(j: BatchJournal): Promise<void> {
    while (j.dirty) {
      await new Promise<void>((resolve) => setTimeout(resolve, SYNC_DELAY_MS).unref());
      await this.syncNow(j);
    }
    j.syncing = null;
    this.closeIdle();
  }

  /** Sync what was written so far (after the sync already running, if any). */
  private async syncNow(j: BatchJournal): Promise<void> {
    while (j.inFlight) await j.inFlight;
    if (j.fd === null || !j.dirty) return;
    j.dirty = false;
    j.inFlight = datasync(j.fd).then(() => { this.syncs++; }, () => { /* written all the same; see syncLater */ });
    await j.inFlight;
    j.inFlight = null;
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
      if (j.fd === null || j.syncing) continue;
      closeQuietly(j.fd);
      j.fd = null;
      this.batches.delete(id);
      open--;
    }
  }

  /** Sync a batch's file now (its lines of the last window), then close it (the batch is being deleted). */
  async forget(batchId: string): Promise<void> {
    const j = this.batches.get(batchId);
    if (!j) return;
    this.batches.delete(batchId);
    await this.syncNow(j);
    closeQuietly(j.fd);
    j.fd = null;
  }

  /** Sync every file and close it (the head stops). */
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
