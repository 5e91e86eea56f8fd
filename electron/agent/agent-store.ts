/**
 * What the agent holds, persisted in `<workdir>/agent-state.json` so a restarted agent adopts the
 * jobs that survived it and re-reports finished ones. The state is one mutable object the agent
 * edits in place; {@link AgentStore.save} writes a snapshot of it at once: appended as one line
 * to `agent-state.jsonl`, which is folded into `agent-state.json` now and then (./state-file.ts;
 * {@link readSavedState} reads what is saved).
 */
import fs from 'node:fs';
import type { JobSpec } from '../../shared/batch/spec.ts';
import { legacyRunId } from '../../shared/job/run-id.ts';
import type { BatchHeader } from '../../shared/protocol/index.ts';
import type { CurrentJob, RecentJob } from './agent-state.ts';
import type { Clock, TimerHandle } from './clock.ts';
import { FLAT_RUN_KEYS, runStateOfFlat, type FlatRunFields, type RunState } from './run-state.ts';
import { readStateFile, StateFile } from './state-file.ts';

/** A run the agent holds: a job from assignment until the head acknowledged its result. */
export interface PersistedRun {
  batch: BatchHeader;
  spec: JobSpec;
  /** The run's identity, given by the head in `assign`. */
  runId: string;
  /** The run's secret (proves this node holds it); absent for a run begun under version 0.1. */
  runKey?: string;
  /** Folder name part of a run begun under version 0.1 (its attempt); else the folder is named by runId. */
  dirKey?: string;
  attempt: number;
  /** Cores the job was given (its request, or all the node offers); absent in older state files. */
  cores?: number;
  /** Positions in the node's offered GPU list pinned to this job (never shared with another run). */
  gpus?: number[];
  /** False when the run shares the node (it has a request): it works in a folder of its own. */
  whole?: boolean;
  /** Epoch ms the run was assigned, then the moment its job started. */
  startedAt: number;
  /** Time the job was stopped by pauses (not run time). */
  pausedMs: number;
  /**
   * The job's `distribute_save/` was moved into the run's folder when its processes ended, so the
   * node's next job may start in the same working folder while these results upload. Absent in
   * older state files: the results are still in the working folder.
   */
  resultsKept?: boolean;
  /** Where the run is, with the data of that phase only (run-state.ts); changed by moveRun(). */
  state: RunState;
}

/** The node's pause. `until` null = until resumed; `capAt` = the hard end (the maximum). */
export interface PersistedPause {
  since: number;
  until: number | null;
  capAt: number;
  /** The pause ends at the agent's maximum (decides what `atMaxPause` does). */
  atMax?: boolean;
  /** Watchdog pid written by agents that held one run at a time (now kept by the running run). */
  watchdog?: number;
}

/** Everything in agent-state.json. */
export interface PersistedState {
  /** Batches whose build step succeeded on this node. */
  built: string[];
  /** Every run held, in the order they were assigned. */
  runs: PersistedRun[];
  recent: RecentJob[];
  pause: PersistedPause | null;
  /** Cached inputs (sha256) each batch used on this node, so they can go when the batch ends. */
  inputs?: Record<string, string[]>;
}

/** How a run is named in messages to the head. */
export interface RunRef { runId: string }

/** The message reference of `run`. */
export function runRef(run: PersistedRun): RunRef {
  return { runId: run.runId };
}

/** A run's identity within this agent: its run id. */
export function runKey(run: RunRef): string {
  return run.runId;
}

/**
 * Agents that ran one job at a time kept it in `run`: it becomes the only entry of `runs`. An
 * agent-state.json written by version 0.1 knew its run by attempt number only: give the run the id
 * the head derives for it too (shared/job/run-id.ts) and keep its folder where it is, since a job
 * that survived the upgrade still writes there. Runs saved before the run state became a tagged
 * union kept pid, exit and result in optional fields beside `phase`: they become `state`
 * (run-state.ts). Returns whether anything changed, and the run ids derived for 0.1 runs.
 */
export function migrateState(state: PersistedState & { run?: PersistedRun | null }): { changed: boolean; legacy: string[] } {
  let changed = false;
  const legacy: string[] = [];
  if (!Array.isArray(state.runs)) {
    state.runs = [];
    changed = true;
  }
  if ('run' in state) {
    const single = state.run;
    if (single && !state.runs.includes(single)) {
      // A single-run agent kept the pause watchdog on the pause; it belongs to that run now.
      const flat = single as unknown as FlatRunFields;
      if (state.pause?.watchdog && flat.watchdog === undefined) flat.watchdog = state.pause.watchdog;
      state.runs.push(single);
    }
    delete state.run;
    changed = true;
  }
  for (const run of state.runs as (PersistedRun & { runId?: string })[]) {
    if (!run.state) {
      const flat = run as unknown as FlatRunFields & Record<string, unknown>;
      run.state = runStateOfFlat(flat);
      for (const key of FLAT_RUN_KEYS) delete flat[key];
      changed = true;
    }
    if (run.whole === undefined) {
      run.whole = !run.spec.request && !run.batch.request;
      changed = true;
    }
    if (typeof run.runId === 'string') continue;
    run.runId = legacyRunId(run.batch.id, run.spec.name, run.attempt);
    run.dirKey = String(run.attempt);
    legacy.push(run.runId);
    changed = true;
  }
  return { changed, legacy };
}

/** Run time of `run` if it ended at `endedAt`: wall time minus the time it was stopped by pauses. */
export function runMs(run: PersistedRun, endedAt: number): number {
  return Math.max(0, endedAt - run.startedAt - run.pausedMs);
}

/** The snapshot's view of `run` (null once it finished: it is then only waiting to be reported). */
export function currentJob(run: PersistedRun | null): CurrentJob | null {
  const state = run?.state;
  return run && state && state.phase !== 'finished' ? {
    batchId: run.batch.id, batch: run.batch.name, namespace: run.batch.namespace, job: run.spec.name, owner: run.batch.owner,
    attempt: run.attempt, startedAt: run.startedAt, pausedMs: run.pausedMs, pausedAt: state.phase === 'running' ? state.pausedAt : null, phase: state.phase,
    cores: run.cores ?? null, gpus: run.gpus ?? [],
  } : null;
}

/**
 * The state saved for the agent whose state file is `file` (`<workdir>/agent-state.json`), as
 * written so far (its last save, also while the agent runs); null when nothing is saved there.
 * Not migrated: an older version's file is returned as it is.
 */
export function readSavedState(file: string): PersistedState | null {
  const saved = readStateFile(file);
  return saved && typeof saved === 'object' ? saved as PersistedState : null;
}

/** How many ended jobs the snapshot lists. */
const RECENT_LIMIT = 20;
/** How long a {@link AgentStore.saveSoon} may wait for a save that writes it along. */
const SOON_MS = 250;

/** Loads and saves the agent's state file. */
export class AgentStore {
  /** The live state; edit it in place and call {@link save}. */
  state: PersistedState = { built: [], runs: [], recent: [], pause: null };
  /**
   * The timer of {@link saveSoon}. A save does not cancel it (on a busy node that was a timer made
   * and cleared per job): when it fires it writes only if a saveSoon is still {@link pending}.
   */
  private soon: TimerHandle | null = null;
  /** A saveSoon asked for a write that no save has made yet. */
  private pending = false;
  private readonly saved: StateFile;

  /** @param clock times {@link saveSoon} (the agent's clock; without one, Node's timers) */
  constructor(private readonly file: string, private readonly log: (line: string) => void, private readonly clock?: Pick<Clock, 'setTimeout' | 'clearTimeout'>) {
    this.saved = new StateFile(file);
  }

  /**
   * Reads the saved state; nothing saved (or nothing readable) leaves the empty state (first
   * start). A state that had saves appended, or that was migrated, is written back into the file
   * at once (the log starts empty).
   */
  async load(): Promise<void> {
    const saved = readSavedState(this.file);
    if (saved) this.state = { ...this.state, ...saved };
    const migrated = migrateState(this.state);
    for (const runId of migrated.legacy) this.log(`migrated the run in ${this.file} from version 0.1 (now run ${runId})`);
    if (migrated.changed || fs.existsSync(this.saved.log)) this.fold();
  }

  /** Removes `run` from the runs held. Does not save. */
  drop(run: PersistedRun): void {
    this.state.runs = this.state.runs.filter((r) => r !== run);
  }

  /**
   * Writes the state as it is now, before returning: the state is a few kilobytes and a run saves
   * it twice, so one synchronous append (./state-file.ts) is far cheaper than the same through the
   * thread pool (ten times the CPU per call, measured), and two saves can never land out of order.
   * A failed write is logged, not thrown (the next save writes everything again). The promise is
   * for callers written against the asynchronous store.
   */
  save(): Promise<void> {
    this.pending = false;
    try {
      this.saved.write(JSON.stringify(this.state));
    } catch (err) {
      this.log(`saving state failed: ${(err as Error).message}`);
    }
    return Promise.resolve();
  }

  /** Writes the state into agent-state.json itself (see ./state-file.ts), emptying the log. */
  private fold(): void {
    this.pending = false;
    try {
      this.saved.fold(JSON.stringify(this.state));
    } catch (err) {
      this.log(`saving state failed: ${(err as Error).message}`);
    }
  }


  /**
   * Writes the state within {@link SOON_MS}, or with the next {@link save} if one comes first (on
   * a busy node the next job's save comes within milliseconds: one write instead of two). Only
   * for a change a crash may lose without harm, because the restarted agent comes to the same end
   * from the record before it: a run recorded running whose job has ended is adopted, found
   * ended, and reported again; a run still recorded as finished is reported again and the head
   * answers it as it did. Every replacement of the state file costs an inode, a flush and, on a
   * disk mounted with discard, a discard.
   */
  saveSoon(): void {
    this.pending = true;
    if (this.soon) return;
    const fire = () => {
      this.soon = null;
      if (this.pending) void this.save();
    };
    this.soon = this.clock ? this.clock.setTimeout(fire, SOON_MS) : setTimeout(fire, SOON_MS);
  }

  /** Writes a pending {@link saveSoon} now; resolves once every save requested so far is on disk (or failed). */
  flushed(): Promise<void> {
    return this.pending ? this.save() : Promise.resolve();
  }

  /**
   * The agent stops: what is pending and what was appended go into agent-state.json itself (an
   * older version started on this workdir reads only that), and the log's descriptor is closed.
   */
  close(): void {
    if (this.pending || this.saved.unfolded) this.fold();
    if (this.soon) this.clearTimer(this.soon);
    this.soon = null;
    this.saved.close();
  }

  private clearTimer(timer: TimerHandle): void {
    if (this.clock) this.clock.clearTimeout(timer);
    else clearTimeout(timer as NodeJS.Timeout);
  }

  /** Puts an ended job first in the recent list (kept short). Does not save. */
  addRecent(job: RecentJob): void {
    this.state.recent = [job, ...this.state.recent].slice(0, RECENT_LIMIT);
  }
}
