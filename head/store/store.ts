/**
 * Persistence of the head's state, behind one interface so the rest of the head never touches
 * files. Durability rules (also in the README):
 * - `createBatch` and `saveBatchRecordNow` resolve only after the data is on disk (atomic rename):
 *   a submission is acknowledged after that.
 * - Job state changes are coalesced: `touchJob` marks a chunk of 500 jobs dirty and a timer
 *   writes dirty chunks a few times per second. A head killed in between loses at most that
 *   window of job states; recovery rebuilds them from agents' reports and from the archive, whose
 *   per-job `result.json` is written before a result is acknowledged.
 * - `recordRuns` appends to the run journal and resolves only after the lines are written to the
 *   file (synced to disk in the background, see run-journal.ts): the head sends `assign` after
 *   that, so a run an agent holds is always known after a crash of the head process, and its
 *   attempt number is never handed out twice.
 */
import type { BatchDoc, MetaDoc, RunRecord } from '../state/types.ts';

export interface LoadedState {
  meta: MetaDoc;
  batches: BatchDoc[];
  /** Every run recorded for the loaded batches, oldest first. */
  runs: RunRecord[];
}

export interface Store {
  load(): Promise<LoadedState>;
  /** Write a new batch (record, spec, all jobs) and resolve once it is durable. */
  createBatch(doc: BatchDoc): Promise<void>;
  /** Coalesced write of a batch record. */
  touchBatchRecord(doc: BatchDoc): void;
  /** Durable write of a batch record (e.g. when a submission is acknowledged). */
  saveBatchRecordNow(doc: BatchDoc): Promise<void>;
  /** Coalesced write of the chunk holding job `index`. */
  touchJob(doc: BatchDoc, index: number): void;
  /** Durably record new runs (appended to the batch's run journal) before their `assign` is sent. */
  recordRuns(runs: RunRecord[]): Promise<void>;
  /** Coalesced write of users and nodes. */
  touchMeta(meta: MetaDoc): void;
  saveMetaNow(meta: MetaDoc): Promise<void>;
  deleteBatch(id: string): Promise<void>;
  /** Write everything dirty now. */
  flush(): Promise<void>;
  /** Bytes written to disk so far (for benchmarks). */
  bytesWritten(): number;
  close(): Promise<void>;
}
