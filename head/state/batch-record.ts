/**
 * The moves of a batch record between its phases (uploading → active → ended → active again on
 * `retry`), each returning a new record, and the reading of a stored record of any version.
 */
import { BatchOutcomeSchema, type BatchOutcome } from '../../shared/batch/batch-end.ts';
import type { BatchRecord, BatchRecordBase } from './types.ts';

type Active = Extract<BatchRecord, { phase: 'active' }>;
type Ended = Extract<BatchRecord, { phase: 'ended' }>;

/** The fields every phase shares (drops the phase's own). */
function baseOf(r: BatchRecord): BatchRecordBase {
  const { id, namespace, name, owner, createdAt, buildFailures, retried } = r;
  return { id, namespace, name, owner, createdAt, buildFailures, ...(retried ? { retried } : {}) };
}

/** A new batch whose inputs are on their way. */
export function uploadingRecord(base: BatchRecordBase): BatchRecord {
  return { ...base, phase: 'uploading' };
}

/** The batch was submitted at `now` (durable from then on): its jobs are scheduled. */
export function submittedRecord(r: BatchRecord, now: number): Active {
  return { ...baseOf(r), phase: 'active', submittedAt: now };
}

/**
 * The one way a batch ends: every job is done, with `outcome`, at `now`. Its inputs are still on
 * the head (the input clean-up marks them gone later).
 */
export function endedRecord(r: Active, outcome: BatchOutcome, now: number): Ended {
  return { ...baseOf(r), phase: 'ended', submittedAt: r.submittedAt, outcome, endedAt: now, inputsCleaned: false };
}

/** `retry` made an ended (or still active) batch active again; it keeps its first submission time. */
export function reopenedRecord(r: Active | Ended, retried: Record<string, number>): Active {
  return { ...baseOf(r), retried, phase: 'active', submittedAt: r.submittedAt };
}

/** The input clean-up deleted the inputs of ended batch `r`. */
export function inputsCleanedRecord(r: Ended): Ended {
  return { ...r, inputsCleaned: true };
}

/** A batch record as any version stored it: 0.1 up to the flat layout kept phase, outcome|null and endedAt|null side by side. */
export type StoredBatchRecord = BatchRecordBase & {
  phase: BatchRecord['phase'];
  submittedAt?: number | null;
  outcome?: string | null;
  endedAt?: number | null;
  inputsCleaned?: boolean;
};

/**
 * Read a stored batch record of any version into the union: the flat records of 0.1 and later
 * (`phase` + `outcome|null` + `endedAt|null` + `inputsCleaned` in every phase) and the current
 * tagged ones load the same. A field a phase does not carry is dropped; one it needs but lacks is
 * filled with the best guess (an ended batch without an end time ended when it was last
 * submitted; without a known outcome it `finished`), so a damaged record still loads.
 */
export function readBatchRecord(stored: StoredBatchRecord): BatchRecord {
  const base = baseOf(stored as BatchRecord);
  const buildFailures = base.buildFailures && typeof base.buildFailures === 'object' ? base.buildFailures : {};
  const b = { ...base, buildFailures };
  const submittedAt = typeof stored.submittedAt === 'number' ? stored.submittedAt : stored.createdAt;
  switch (stored.phase) {
    case 'uploading': return { ...b, phase: 'uploading' };
    case 'active': return { ...b, phase: 'active', submittedAt };
    default: {
      const outcome = BatchOutcomeSchema.options.includes(stored.outcome as BatchOutcome) ? stored.outcome as BatchOutcome : 'finished';
      const endedAt = typeof stored.endedAt === 'number' ? stored.endedAt : submittedAt;
      return { ...b, phase: 'ended', submittedAt, outcome, endedAt, inputsCleaned: stored.inputsCleaned === true };
    }
  }
}

/** When the batch was submitted (null while uploading), for views. */
export function submittedAtOf(r: BatchRecord): number | null {
  return r.phase === 'uploading' ? null : r.submittedAt;
}
