/**
 * Upgrading a head data folder written by version 0.1, where a run was known only by its attempt
 * number: every job a node held gets the run id both sides derive ({@link legacyRunId}), and a
 * keyless run record so its node can claim it in hello; finished jobs get `runId: null`. Staging
 * folders of such runs (`staging/<batch>/<job>/<attempt>/`) move to the run's folder
 * (`staging/<batch>/<runId>/`).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Job, JobState } from '../../shared/job/state.ts';
import { legacyRunId } from '../../shared/job/run-id.ts';
import type { Archive } from '../archive/archive.ts';
import type { BatchDoc, RunRecord } from '../state/types.ts';

/** A job state as version 0.1 may have stored it (no run id). */
type StoredState = JobState | (Omit<Extract<JobState, { state: 'assigned' | 'running' | 'paused' | 'done' }>, 'runId'> & { runId?: string | null });

/**
 * Give the 0.1 jobs of `doc` run ids. Returns the changed positions and the run records to
 * journal (the caller persists both).
 */
export async function migrateLegacyRuns(doc: BatchDoc, archive: Archive, now: number): Promise<{ changed: number[]; runs: RunRecord[] }> {
  const changed: number[] = [];
  const runs: RunRecord[] = [];
  for (let i = 0; i < doc.jobs.length; i++) {
    const job = doc.jobs[i];
    const s = job.status as StoredState;
    if (s.state === 'queued' || typeof s.runId === 'string' || (s.state === 'done' && s.runId === null)) continue;
    if (s.state === 'done') {
      doc.jobs[i] = { ...job, status: { ...s, runId: null } } as Job;
      changed.push(i);
      continue;
    }
    const runId = legacyRunId(doc.record.id, job.name, s.attempt);
    doc.jobs[i] = { ...job, status: { ...s, runId } } as Job;
    changed.push(i);
    runs.push({ runId, batchId: doc.record.id, job: job.name, node: s.node as string, attempt: s.attempt, keyHash: null, at: now });
    const old = path.join(archive.stagingRoot, doc.record.id, job.name, String(s.attempt));
    await fs.rename(old, archive.stagingDir(doc.record.id, runId)).catch(() => {});
  }
  return { changed, runs };
}
