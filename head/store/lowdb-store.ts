/**
 * The {@link Store} on lowdb: one small JSON document per concern, so a state change rewrites
 * kilobytes, not the whole state. Layout under `<data>/state/`:
 *   meta.json                       users and nodes
 *   batches/<id>/batch.json         the batch record (phase, outcome, build failures)
 *   batches/<id>/spec.json          the batch spec, written once
 *   batches/<id>/jobs-<k>.json      job states k*500 … k*500+499, as of the last compaction
 *   batches/<id>/jobs.log           job states changed since: one line per changed job per flush,
 *                                   folded into the chunks now and then (job-log.ts)
 *   batches/<id>/runs.jsonl         the run journal: one JSON line per assignment, written before
 *                                   the assign is sent, synced soon after (run-journal.ts)
 * Each document is a lowdb `Low` over a text adapter that writes atomically (temp file + rename,
 * via steno) and counts bytes written.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { Low } from 'lowdb';
import { TextFile } from 'lowdb/node';
import type { Job } from '../../shared/job/state.ts';
import type { BatchSpec } from '../../shared/batch/spec.ts';
import type { BatchDoc, MetaDoc, RunRecord } from '../state/types.ts';
import { readBatchRecord, type StoredBatchRecord } from '../state/batch-record.ts';
import type { LoadedState, Store } from './store.ts';
import { readJournal, RUN_JOURNAL, RunJournal } from './run-journal.ts';
import { applyJobLog, JOB_LOG, jobLine, JobLogSize } from './job-log.ts';

export const JOBS_PER_CHUNK = 500;

/** lowdb adapter: JSON over an atomic text file, counting bytes written. */
class CountingJsonFile<T> {
  #file: TextFile;
  constructor(filename: string, private readonly counter: { bytes: number }) {
    this.#file = new TextFile(filename);
  }
  async read(): Promise<T | null> {
    const text = await this.#file.read();
    return text === null ? null : (JSON.parse(text) as T);
  }
  async write(data: T): Promise<void> {
    const text = JSON.stringify(data);
    this.counter.bytes += Buffer.byteLength(text);
    await this.#file.write(text);
  }
}

interface JobsChunk { jobs: Job[] }

export class LowdbStore implements Store {
  private readonly root: string;
  private readonly counter = { bytes: 0 };
  private readonly dbs = new Map<string, Low<unknown>>();
  /** Pending coalesced writes: document key → function producing its current data. */
  private readonly dirty = new Map<string, () => unknown>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  /** Batches deleted while this store runs: never written again. */
  private readonly deleted = new Set<string>();

  private readonly journal: RunJournal;
  /** Jobs changed since the last flush, per batch (written as job-log lines). */
  private readonly dirtyJobs = new Map<string, { doc: BatchDoc; positions: Set<number> }>();
  /** Per batch with a job log: how large it has grown since its last compaction. */
  private readonly logs = new Map<string, { size: JobLogSize; doc: BatchDoc }>();

  constructor(dataDir: string, private readonly flushDelayMs = 150) {
    this.root = path.join(dataDir, 'state');
    this.journal = new RunJournal((id) => path.join(this.root, 'batches', id), (bytes) => { this.counter.bytes += bytes; });
  }

  private db<T>(rel: string, initial: T): Low<T> {
    let db = this.dbs.get(rel) as Low<T> | undefined;
    if (!db) {
      db = new Low<T>(new CountingJsonFile<T>(path.join(this.root, rel), this.counter), initial);
      this.dbs.set(rel, db as Low<unknown>);
    }
    return db;
  }

  private async writeDoc(rel: string, data: unknown): Promise<void> {
    await fs.mkdir(path.dirname(path.join(this.root, rel)), { recursive: true });
    const db = this.db<unknown>(rel, null);
    db.data = data;
    await db.write();
  }

  async load(): Promise<LoadedState> {
    await fs.mkdir(path.join(this.root, 'batches'), { recursive: true });
    const metaDb = this.db<MetaDoc>('meta.json', { users: [], nodes: [] });
    await metaDb.read();
    const meta = metaDb.data ?? { users: [], nodes: [] };
    const batches: BatchDoc[] = [];
    const runs: RunRecord[] = [];
    for (const id of (await fs.readdir(path.join(this.root, 'batches'))).sort()) {
      const base = `batches/${id}`;
      const recDb = this.db<StoredBatchRecord | null>(`${base}/batch.json`, null);
      const specDb = this.db<BatchSpec | null>(`${base}/spec.json`, null);
      const jobs: Job[] = [];
      try {
        await recDb.read();
        await specDb.read();
        if (!recDb.data || !specDb.data) continue; // creation never completed: never acknowledged
        const chunks = Math.ceil(specDb.data.jobs.length / JOBS_PER_CHUNK);
        for (let k = 0; k < chunks; k++) {
          const chunkDb = this.db<JobsChunk>(`${base}/jobs-${k}.json`, { jobs: [] });
          await chunkDb.read();
          jobs.push(...(chunkDb.data?.jobs ?? []));
        }
      } catch (err) {
        // One damaged batch (e.g. a corrupted jobs chunk) must not keep the head from starting.
        process.stderr.write(`store: skipping unreadable batch ${id}: ${(err as Error).message}\n`);
        continue;
      }
      if (jobs.length !== specDb.data.jobs.length) continue;
      // Flat records of older versions (0.1 on) become the tagged union here.
      const doc: BatchDoc = { record: readBatchRecord(recDb.data), spec: specDb.data, jobs };
      // Job changes a crash left in the log: applied, and folded into the chunks right away.
      const logged = await applyJobLog(path.join(this.root, base, JOB_LOG), jobs, specDb.data.jobs.map((j) => j.name));
      if (logged.length) await this.compact(doc, new Set(logged.map((i) => Math.floor(i / JOBS_PER_CHUNK))));
      batches.push(doc);
      runs.push(...await readJournal(path.join(this.root, base, RUN_JOURNAL)));
    }
    return { meta, batches, runs };
  }

  recordRuns(runs: RunRecord[]): Promise<void> {
    // A deleted batch's folder is never recreated (deleteBatch waits for appends in flight).
    return this.journal.append(runs.filter((r) => !this.deleted.has(r.batchId)));
  }

  async createBatch(doc: BatchDoc): Promise<void> {
    const base = `batches/${doc.record.id}`;
    await this.writeDoc(`${base}/spec.json`, doc.spec);
    for (let k = 0; k * JOBS_PER_CHUNK < doc.jobs.length; k++) {
      await this.writeDoc(`${base}/jobs-${k}.json`, { jobs: doc.jobs.slice(k * JOBS_PER_CHUNK, (k + 1) * JOBS_PER_CHUNK) });
    }
    // The record goes last: a batch without batch.json is ignored on load.
    await this.writeDoc(`${base}/batch.json`, doc.record);
  }

  touchBatchRecord(doc: BatchDoc): void {
    this.mark(`batches/${doc.record.id}/batch.json`, () => doc.record);
  }

  async saveBatchRecordNow(doc: BatchDoc): Promise<void> {
    this.dirty.delete(`batches/${doc.record.id}/batch.json`);
    await this.writeDoc(`batches/${doc.record.id}/batch.json`, doc.record);
  }

  touchJob(doc: BatchDoc, index: number): void {
    let d = this.dirtyJobs.get(doc.record.id);
    if (!d) {
      d = { doc, positions: new Set() };
      this.dirtyJobs.set(doc.record.id, d);
    }
    d.doc = doc;
    d.positions.add(index);
    this.armTimer();
  }

  /**
   * Append the changed jobs of one batch to its log, or fold the log into the chunks when it has
   * grown enough or the batch ended. Runs inside a flush.
   */
  private async writeJobs(doc: BatchDoc, positions: Set<number>): Promise<void> {
    const id = doc.record.id;
    const size = this.logs.get(id)?.size ?? new JobLogSize();
    this.logs.set(id, { size, doc });
    const sorted = [...positions].sort((a, b) => a - b);
    const text = sorted.map((i) => jobLine(i, doc.jobs[i])).join('');
    size.add(Buffer.byteLength(text), sorted.length, sorted.map((i) => Math.floor(i / JOBS_PER_CHUNK)));
    // The chunks are taken together with the lines, so the log's last line of each job equals what
    // its chunk gets: a crash between the chunk writes and the log's deletion replays to the same.
    const fold = doc.record.phase === 'ended' || size.due(JOBS_PER_CHUNK, doc.jobs.length) ? this.chunksOf(doc, size.chunks) : null;
    await this.appendLog(id, text);
    if (fold) await this.writeFolded(id, fold);
  }

  private async appendLog(batchId: string, text: string): Promise<void> {
    if (!text) return;
    const file = path.join(this.root, 'batches', batchId, JOB_LOG);
    try {
      await fs.appendFile(file, text);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      // The batch folder is written by createBatch; as documents always did, make it if missing.
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.appendFile(file, text);
    }
    this.counter.bytes += Buffer.byteLength(text);
  }

  /**
   * Fold a batch's job log into its chunk documents: write the chunks in `chunks` (every chunk the
   * log has lines in) from memory, then delete the log. The jobs' last lines in the log equal what
   * the chunks get (every job changed since was appended first), so a crash in between replays
   * the log to the same states.
   */
  private compact(doc: BatchDoc, chunks: Iterable<number>): Promise<void> {
    return this.writeFolded(doc.record.id, this.chunksOf(doc, chunks));
  }

  /** The chunk documents `chunks` of a batch as they are now. */
  private chunksOf(doc: BatchDoc, chunks: Iterable<number>): Array<[number, JobsChunk]> {
    return [...chunks].sort((a, b) => a - b).map((k) => [k, { jobs: doc.jobs.slice(k * JOBS_PER_CHUNK, (k + 1) * JOBS_PER_CHUNK) }]);
  }

  private async writeFolded(id: string, chunks: Array<[number, JobsChunk]>): Promise<void> {
    for (const [k, data] of chunks) await this.writeDoc(`batches/${id}/jobs-${k}.json`, data);
    await fs.rm(path.join(this.root, 'batches', id, JOB_LOG), { force: true });
    this.logs.delete(id);
  }

  touchMeta(meta: MetaDoc): void {
    this.mark('meta.json', () => meta);
  }

  async saveMetaNow(meta: MetaDoc): Promise<void> {
    this.dirty.delete('meta.json');
    await this.writeDoc('meta.json', meta);
  }

  async deleteBatch(id: string): Promise<void> {
    // No write of this batch may start from now on, and one already writing finishes before the
    // folder goes, so a flush in flight cannot recreate it.
    this.deleted.add(id);
    this.dirtyJobs.delete(id);
    this.logs.delete(id);
    for (const key of [...this.dirty.keys()]) if (key.startsWith(`batches/${id}/`)) this.dirty.delete(key);
    for (const key of [...this.dbs.keys()]) if (key.startsWith(`batches/${id}/`)) this.dbs.delete(key);
    await this.flushing;
    await this.journal.forget(id);
    await fs.rm(path.join(this.root, 'batches', id), { recursive: true, force: true });
  }

  private mark(key: string, produce: () => unknown): void {
    this.dirty.set(key, produce);
    this.armTimer();
  }

  private armTimer(): void {
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.flush().catch((err) => process.stderr.write(`store: flush failed: ${(err as Error).message}\n`));
      }, this.flushDelayMs);
      this.timer.unref();
    }
  }

  flush(): Promise<void> {
    // Serialize flushes so two writers never race on one document.
    const run = this.flushing.then(async () => {
      const jobs = [...this.dirtyJobs.values()];
      this.dirtyJobs.clear();
      const batch = [...this.dirty.entries()];
      this.dirty.clear();
      // Jobs first: a batch record that says "ended" is never written ahead of its jobs' ends.
      for (let i = 0; i < jobs.length; i++) {
        const { doc, positions } = jobs[i];
        if (this.deleted.has(doc.record.id)) continue; // deleted meanwhile
        try {
          await this.writeJobs(doc, positions);
        } catch (err) {
          // Keep what was not written dirty so a later flush retries it, and the documents too.
          for (const d of jobs.slice(i)) for (const p of d.positions) this.touchJob(d.doc, p);
          for (const [k, p] of batch) if (!this.dirty.has(k)) this.dirty.set(k, p);
          throw err;
        }
      }
      for (let i = 0; i < batch.length; i++) {
        const [key, produce] = batch[i];
        if (key.startsWith('batches/') && this.deleted.has(key.split('/')[1])) continue; // deleted meanwhile
        try {
          await this.writeDoc(key, produce());
        } catch (err) {
          // Keep the unwritten documents dirty so a later flush retries them (unless re-marked since).
          for (const [k, p] of batch.slice(i)) if (!this.dirty.has(k)) this.dirty.set(k, p);
          throw err;
        }
      }
    });
    // A failed flush rejects for its caller only; the chain stays usable for later flushes.
    this.flushing = run.catch(() => undefined);
    return run;
  }

  bytesWritten(): number {
    return this.counter.bytes;
  }

  /** Write everything dirty, fold every job log into its chunks, close the run journals. */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flush();
    await this.foldLogs();
    await this.journal.close();
  }

  /** Fold the job log of every batch that has one into its chunks (after the flush in flight). */
  private foldLogs(): Promise<void> {
    const run = this.flushing.then(async () => {
      for (const [id, { size, doc }] of [...this.logs]) {
        if (!this.deleted.has(id)) await this.compact(doc, size.chunks);
      }
    });
    this.flushing = run.catch(() => undefined);
    return run;
  }
}
