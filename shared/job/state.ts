/**
 * Job states as a tagged union: each state carries only the data valid in it. The outcome of a
 * finished job is a separate {@link JobResult}. Change a job only through `transition()`.
 *
 * ```
 *            assign(runId)     start              pause
 *  queued ─────────▶ assigned ───────▶ running ◀──────────▶ paused
 *    ▲                  │                 │ resume            │
 *    │   lose (node lost: always re-queued, no retry used)
 *    │   hand-back (the node gave the job back or rejected it: re-queued, and the
 *    │     `maxHandBacks`-th time done{rejected} instead)
 *    │   retry (the run failed and max_retries allows another)
 *    └──────────────────────────────────────┤                   │
 *                                           ▼ finish            ▼ finish
 *                                         done{result}  ◀───────┘
 *  cancel: from any non-done state ─▶ done{cancelled}
 *  build-failed: queued ─▶ done{build-failed} (the build failed on every compatible node)
 *  retry (`distribute retry`): done{failed | killed | spawn-failed | cancelled} ─▶ queued
 *  adopt: queued ─▶ running (a node proved it still holds a run the head had given up on)
 *  recover: from any non-done state ─▶ done{archived result} (at start-up, from the archive)
 * ```
 * Every event of a run (start, pause, resume, finish, lose) names the run by its run id; an event
 * of a run the job no longer holds is rejected (finish has the one exception described there).
 */

import type { JobResult } from './result.ts';

/** How a job ended: derived from its schema in ./result.ts. */
export type { JobOutcome, JobResult } from './result.ts';

export type JobState =
  | { state: 'queued'; since: number }
  | { state: 'assigned'; node: string; runId: string; attempt: number; at: number }
  | { state: 'running'; node: string; runId: string; attempt: number; startedAt: number; pausedMs: number }
  | {
      state: 'paused';
      node: string;
      runId: string;
      attempt: number;
      startedAt: number;
      /** Paused time accumulated before this pause. */
      pausedMs: number;
      pausedAt: number;
      /** When the pause ends by itself (epoch ms), null = until resumed (still capped by the agent). */
      until: number | null;
    }
  | {
      state: 'done';
      result: JobResult;
      node: string | null;
      /** The run whose result this is (null: no run ended it, e.g. cancelled while queued). */
      runId: string | null;
      attempt: number;
      startedAt: number | null;
      endedAt: number;
      /** Wall time from start to end minus paused time. */
      runMs: number;
    };

export type JobStateName = JobState['state'];

/**
 * A job of a batch. `attempts` counts how many times it was handed to a node (for display and
 * retries only: a run is identified by its random `runId`, never by its attempt number).
 */
export interface Job {
  batchId: string;
  name: string;
  attempts: number;
  /** Failed runs that were retried (for `max_retries`). */
  retries: number;
  /** Times a node handed the job back or rejected it (absent in stores of 0.1: none). */
  handBacks?: number;
  status: JobState;
}

/** True while a node holds the job (assigned, running or paused). */
export function isActive(status: JobState): status is Extract<JobState, { state: 'assigned' | 'running' | 'paused' }> {
  return status.state === 'assigned' || status.state === 'running' || status.state === 'paused';
}
