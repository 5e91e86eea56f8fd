/**
 * Clean-up of uploaded inputs: `<data>/inputs/<sha256>` files are kept while some batch that has
 * not ended (uploading or active) names them, and deleted otherwise. Run when a batch ends; a
 * later batch that needs the same file simply uploads it again (`add` asks the head which inputs
 * it is missing). Only names that look like a finished sha256 are touched, so an upload still in
 * progress (`<sha>.partial`) is never removed under its writer.
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
import type { BatchDoc } from '../state/types.ts';


/** How long an input no batch names is kept after it was written: one hour. */
export const ORPHAN_INPUT_GRACE_MS = 60 * 60 * 1000;

/** How long a batch may stay `uploading` (an `add` that never submitted) before the head forgets it: one day. */
export const ABANDONED_UPLOAD_MS = 24 * 60 * 60 * 1000;

export interface InputGcOptions {
  /** Orphans (named by no batch) younger than this, by modification time, are kept (default 0). */
  orphanGraceMs?: number;
  now?: number;
}

export interface InputGcResult {
  removed: string[];
  bytes: number;
}

/** sha256s of every input referenced by a batch that has not ended. */
export function liveInputs(batches: Iterable<BatchDoc>): Set<string> {
  const keep = new Set<string>();
  for (const doc of batches) {
    if (doc.record.phase === 'ended') continue;
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
  let keep = liveInputs(all);
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
        keep = liveInputs(current());
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
    if (doc.record.phase === 'ended' && !doc.record.inputsCleaned) {
      doc.record.inputsCleaned = true;
      result.cleaned.push(doc);
    }
  }
  return result;
}
