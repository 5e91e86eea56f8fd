/**
 * Clean-up of uploaded inputs: `<data>/inputs/<sha256>` files are kept while some batch that has
 * not ended (uploading or active) names them, and deleted otherwise. Run when a batch ends; a
 * later batch that needs the same file simply uploads it again (`add` asks the head which inputs
 * it is missing). Only names that look like a finished sha256 are touched, so an upload still in
 * progress (`<sha>.partial`) is never removed under its writer.
 *
 * The inputs of an ended batch with failed or cancelled jobs stay for {@link RETRY_INPUTS_KEEP_MS}
 * after it ended, so a retry needs no upload; the periodic sweep deletes them afterwards.
 *
 * An input that no batch names at all (uploaded with no batch, or left by an `add` that never
 * submitted) is an orphan: it is removed once it is older than a grace period (the head uses
 * {@link ORPHAN_INPUT_GRACE_MS}), swept periodically, so nobody can fill the disk with uploads
 * that no batch will ever use.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { distinctInputs } from '../../shared/batch/spec.ts';
import { SHA256_PATTERN } from '../../shared/api/routes.ts';
import { isRetryable } from '../../shared/job/transition.ts';
import type { BatchDoc } from '../state/types.ts';
import { inputsCleanedRecord } from '../state/batch-record.ts';


/** How long an input no batch names is kept after it was written: one hour. */
export const ORPHAN_INPUT_GRACE_MS = 60 * 60 * 1000;

/** How long a batch may stay `uploading` (an `add` that never submitted) before the head forgets it: one day. */
export const ABANDONED_UPLOAD_MS = 24 * 60 * 60 * 1000;

/**
 * How long the inputs of an ended batch with failed or cancelled jobs are kept, so `retry` (and
 * the dashboard's Retry) can run those jobs again without uploading anything: one day.
 */
export const RETRY_INPUTS_KEEP_MS = 24 * 60 * 60 * 1000;

export interface InputGcOptions {
  /** Orphans (named by no batch) younger than this, by modification time, are kept (default 0). */
  orphanGraceMs?: number;
  /** Inputs of ended batches with retryable jobs are kept this long after the end (default 0). */
  retryKeepMs?: number;
  now?: number;
}

/** Whether an ended batch still keeps its inputs for a retry at `now`. */
export function keptForRetry(doc: BatchDoc, retryKeepMs: number, now: number): boolean {
  if (doc.record.phase !== 'ended' || retryKeepMs <= 0 || now - doc.record.endedAt >= retryKeepMs) return false;
  return doc.jobs.some((j) => j.status.state === 'done' && isRetryable(j.status.result));
}

export interface InputGcResult {
  removed: string[];
  bytes: number;
}

/** sha256s of every input referenced by a batch that has not ended (or is kept for a retry). */
export function liveInputs(batches: Iterable<BatchDoc>, retryKeepMs = 0, now = Date.now()): Set<string> {
  const keep = new Set<string>();
  for (const doc of batches) {
    if (doc.record.phase === 'ended' && !keptForRetry(doc, retryKeepMs, now)) continue;
    for (const f of distinctInputs(doc.spec)) keep.add(f.sha256);
  }
  return keep;
}

/**
 * Delete every input under `inputsRoot` not referenced by a live batch of `batches` (given as a
 * function, it is asked again before each deletion, so a batch added meanwhile keeps its inputs). Batches
 * that ended get `inputsCleaned = true` (the caller persists the records it is told about).
 */
export async function collectInputs(inputsRoot: string, batches: Iterable<BatchDoc> | (() => Iterable<BatchDoc>), opts: InputGcOptions = {}): Promise<InputGcResult & { cleaned: BatchDoc[] }> {
  const current = () => [...(typeof batches === 'function' ? batches() : batches)];
  const all = current();
  const retryKeepMs = opts.retryKeepMs ?? 0;
  let keep = liveInputs(all, retryKeepMs, opts.now ?? Date.now());
  const named = new Set(all.flatMap((d) => distinctInputs(d.spec).map((f) => f.sha256)));
  const graceMs = opts.orphanGraceMs ?? 0;
  const now = opts.now ?? Date.now();
  const result: InputGcResult & { cleaned: BatchDoc[] } = { removed: [], bytes: 0, cleaned: [] };
  let names: string[];
  try {
    names = await fs.readdir(inputsRoot);
  } catch {
    return result;
  }
  for (const name of names) {
    if (!SHA256_PATTERN.test(name) || keep.has(name)) continue;
    const file = path.join(inputsRoot, name);
    try {
      const st = await fs.lstat(file);
      if (!named.has(name) && now - st.mtimeMs < graceMs) continue; // a young orphan: its batch may still come
      // Ask again right before deleting (no await in between): an `add` may have registered a
      // batch naming this file since the clean-up started (it found the file and will not upload it).
      if (typeof batches === 'function') {
        keep = liveInputs(current(), retryKeepMs, now);
        if (keep.has(name)) continue;
      }
      await fs.rm(file, { force: true });
      result.removed.push(name);
      result.bytes += st.size;
    } catch {
      // gone already (a concurrent clean-up): nothing to do
    }
  }
  for (const doc of all) {
    if (doc.record.phase === 'ended' && !doc.record.inputsCleaned && !keptForRetry(doc, retryKeepMs, now)) {
      doc.record = inputsCleanedRecord(doc.record);
      result.cleaned.push(doc);
    }
  }
  return result;
}
