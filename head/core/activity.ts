/**
 * How busy the lab was: the number of jobs each node held (assigned, running or paused), sampled
 * at a fixed step and kept for the last hour, for the dashboard's chart of running jobs per node.
 * In memory only: after a head restart the chart starts again (it is a glance, not an audit).
 */
import { isActive } from '../../shared/job/state.ts';
import type { BatchDoc } from '../state/types.ts';

export interface ActivitySample { at: number; nodes: Record<string, number> }

/** The chart's window and sample spacing. */
export const ACTIVITY_WINDOW_MS = 60 * 60 * 1000;
export const ACTIVITY_STEP_MS = 30 * 1000;

/**
 * Jobs held per node right now (nodes holding nothing are absent). `candidates` names the
 * positions of a batch's jobs that may be held (the batch book's index of active jobs); without
 * it every job is looked at.
 */
export function heldPerNode(batches: Iterable<BatchDoc>, candidates: (doc: BatchDoc) => Iterable<number> = (doc) => doc.jobs.keys()): Record<string, number> {
  const out: Record<string, number> = {};
  for (const doc of batches) {
    if (doc.record.phase !== 'active') continue;
    for (const i of candidates(doc)) {
      const s = doc.jobs[i].status;
      if (isActive(s)) out[s.node] = (out[s.node] ?? 0) + 1;
    }
  }
  return out;
}

export class ActivityLog {
  private readonly samples: ActivitySample[] = [];

  constructor(readonly windowMs = ACTIVITY_WINDOW_MS, readonly stepMs = ACTIVITY_STEP_MS) {}

  /** Record the counts at `at`, dropping samples older than the window. */
  add(at: number, nodes: Record<string, number>): void {
    this.samples.push({ at, nodes: { ...nodes } });
    while (this.samples.length && this.samples[0].at < at - this.windowMs) this.samples.shift();
  }

  /** The samples within the window before `now`, oldest first, plus `current` as the sample at `now`. */
  series(now: number, current: Record<string, number>): { windowMs: number; stepMs: number; samples: ActivitySample[] } {
    const kept = this.samples.filter((s) => s.at >= now - this.windowMs && s.at <= now);
    return { windowMs: this.windowMs, stepMs: this.stepMs, samples: [...kept, { at: now, nodes: { ...current } }] };
  }
}
