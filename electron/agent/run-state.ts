/**
 * Where a run the agent holds is, as a tagged union: each phase carries only the data valid in
 * it (a running job has its pid and process group, an ended one its result), so a run can no
 * longer be "running" without a pid or "finished" without a result. {@link moveRun} is the one
 * way a run changes phase, and refuses an impossible move.
 *
 *   (waiting ─►) downloading ─► building ─► running{pid} ─► uploading{exited} ─► finished{result}
 *       └────────────┴────────────┴───────────┴──────────────────────────────────► finished (cancelled)
 *
 * Agent state files written before this union kept the phase's data in optional fields beside
 * `phase`; {@link runStateOfFlat} reads them (see migrateState in agent-store.ts).
 */
import type { JobResult } from '../../shared/job/state.ts';
import type { ResultFile } from '../../shared/protocol/index.ts';

/** A job's processes ended: what is known before its files are uploaded. */
export interface ExitedRun {
  result: JobResult;
  endedAt: number;
  runMs: number;
  /** The size of the results (absent in older state files). */
  bytes?: number;
}

/** A run is over on this node: what to report to the head. */
export interface FinishedRun {
  result: JobResult;
  endedAt: number;
  runMs: number;
  files: ResultFile[];
  /** Result files the archive cannot take (named in the job's stderr log). */
  skipped?: string[];
  /**
   * Paths of `files` that were not uploaded: their bytes go inside the report (job-finished),
   * read from the run's folder each time it is sent.
   */
  inline?: string[];
}

/** The phases of a run on this node, each with its own data. */
export type RunState =
  /**
   * A job in hand (`assign` with `ahead`): it starts the moment the node has room for it. A
   * restarted agent gives it back, like a run that was downloading.
   */
  | { phase: 'waiting' }
  /** Fetching the run's inputs. */
  | { phase: 'downloading' }
  /** Waiting for (or running) the batch's build step on this node. */
  | { phase: 'building' }
  /** The job's process tree runs (or is stopped by a pause). */
  | {
    phase: 'running';
    pid: number;
    pgid: number;
    /** Epoch ms its processes were stopped by a pause; null while they run. */
    pausedAt: number | null;
    /** Pid of the pause watchdog that continues the job if the agent is gone when the pause ends. */
    watchdog?: number;
  }
  /**
   * Its processes ended and its files upload: a restarted agent finishes the upload instead of
   * giving the job up (the head's disk may be full for a long while).
   */
  | { phase: 'uploading'; exited: ExitedRun }
  /** Ended (or cancelled): reported until the head acknowledges. */
  | { phase: 'finished'; finished: FinishedRun };

/** A run's phase name. */
export type RunPhase = RunState['phase'];

/** The phases each phase may move to. */
const NEXT: Record<RunPhase, readonly RunPhase[]> = {
  waiting: ['downloading', 'finished'],
  downloading: ['building', 'running', 'finished'],
  building: ['running', 'finished'],
  running: ['uploading', 'finished'],
  uploading: ['finished'],
  finished: [],
};

/** Moves `run` to `next`; throws on a move the lifecycle does not have (a bug, not bad input). */
export function moveRun(run: { runId: string; state: RunState }, next: RunState): void {
  if (!NEXT[run.state.phase].includes(next.phase)) throw new Error(`run ${run.runId}: cannot move from ${run.state.phase} to ${next.phase}`);
  run.state = next;
}

/** The fields an older agent state file kept beside `phase` (all optional there). */
export interface FlatRunFields {
  phase?: string;
  pid?: number;
  pgid?: number;
  pausedAt?: number | null;
  watchdog?: number;
  exited?: ExitedRun;
  finished?: FinishedRun;
}

/**
 * The state of a run saved in the flat form. A combination the lifecycle never saves (running
 * without a pid, uploading without an exit, finished without a result) is read as
 * `downloading`: the job never started as far as the record knows, so the restarted agent gives
 * it back to the head (and ends whatever carries its marker), as it always did for such a run.
 */
export function runStateOfFlat(flat: FlatRunFields): RunState {
  switch (flat.phase) {
    case 'building':
      return { phase: 'building' };
    case 'running':
      if (flat.pid && flat.pgid) {
        return { phase: 'running', pid: flat.pid, pgid: flat.pgid, pausedAt: flat.pausedAt ?? null, ...(flat.watchdog ? { watchdog: flat.watchdog } : {}) };
      }
      return { phase: 'downloading' };
    case 'uploading':
      return flat.exited ? { phase: 'uploading', exited: flat.exited } : { phase: 'downloading' };
    case 'finished':
      return flat.finished ? { phase: 'finished', finished: flat.finished } : { phase: 'downloading' };
    default:
      return { phase: 'downloading' };
  }
}

/** The keys of the flat form, removed once a record is migrated. */
export const FLAT_RUN_KEYS = ['phase', 'pid', 'pgid', 'pausedAt', 'watchdog', 'exited', 'finished'] as const;
