/**
 * The pause of a node, owned by the agent.
 *
 * A pause belongs to the node: while it lasts no job is taken, and every running job's (and
 * build step's) whole process tree is stopped. It ends by itself at `capAt` (its own end, or the
 * maximum), a detached watchdog per job continues it if the agent is gone by then, and a restarted
 * agent continues the jobs at once ({@link NodePause.dropAfterRestart}). Stopped time is kept in
 * each run's pausedAt/pausedMs so it is never counted as run time.
 *
 * The pause itself lives in the agent's persisted state (`state.pause`), so it is saved with the
 * run it applies to.
 */
import type { AgentMessage } from '../../shared/protocol/index.ts';
import { runRef, type PersistedRun, type PersistedState } from './agent-store.ts';
import type { JobProcess } from './job-process.ts';
import { startPauseWatchdog, stopPauseWatchdog } from './pause-watchdog.ts';

/** Default longest pause: 4 h. */
export const DEFAULT_MAX_PAUSE_MS = 4 * 3600_000;
/** setTimeout's limit (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Who asked for a pause (for the log). */
export type PauseReason = 'user' | 'head' | 'idle';

/** What the pause needs from the agent that owns it. */
export interface NodePauseHost {
  /** The agent's persisted state (its `pause` field is this pause). */
  state(): PersistedState;
  /** Every running job with its process (phase 'running'). */
  jobs(): { run: PersistedRun; proc: JobProcess }[];
  /** Every other process the pause must stop (build steps). */
  otherProcs(): JobProcess[];
  send(m: AgentMessage): boolean;
  save(): Promise<void>;
  /** The snapshot changed. */
  changed(): void;
  log(line: string): void;
  /**
   * Kill a running job and hand it back to the head (a pause reached the maximum with
   * atMaxPause 'requeue'); the job's end is then reported as handed back, giving `reason`.
   */
  handBack(run: PersistedRun, reason: string): void;
  /** Longest pause (ms); default {@link DEFAULT_MAX_PAUSE_MS}. */
  maxPauseMs?: number;
  /** What a job still paused at the maximum does (default 'resume'). */
  atMaxPause?: 'resume' | 'requeue';
}

/** Starts, replaces and ends the node's pause, and applies it to the running jobs and builds. */
export class NodePause {
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly host: NodePauseHost) {}

  /** The longest pause this agent allows (ms). */
  get maxPauseMs(): number {
    return Math.min(this.host.maxPauseMs ?? DEFAULT_MAX_PAUSE_MS, MAX_TIMER_MS);
  }

  /**
   * Pause the node for `durationMs` (null = until resumed), never longer than {@link maxPauseMs}.
   * Pausing a paused node replaces the end of the pause. A duration of zero or less resumes.
   */
  async pause(durationMs: number | null, reason: PauseReason): Promise<void> {
    if (durationMs !== null && !(durationMs > 0)) return this.resume();
    const state = this.host.state();
    const now = Date.now();
    const max = this.maxPauseMs;
    const atMax = durationMs === null || durationMs >= max;
    const capAt = now + (atMax ? max : durationMs);
    const until = durationMs === null ? null : capAt;
    const pause = { since: state.pause?.since ?? now, until, capAt, atMax };
    state.pause = pause;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.ended(), capAt - now);
    for (const { run, proc } of this.host.jobs()) this.pauseJob(run, proc);
    for (const proc of this.host.otherProcs()) proc.pause();
    this.host.log(`paused by ${reason} ${until === null ? 'until resumed' : `until ${new Date(until).toISOString()}`}`);
    this.host.send({ type: 'node-paused', until });
    await this.host.save();
    this.host.changed();
  }

  /** Stops a running job's tree, (re)arms its watchdog and tells the head. Needs a pause; does not save. */
  pauseJob(run: PersistedRun, proc: JobProcess): void {
    const pause = this.host.state().pause;
    if (!pause) return;
    proc.pause();
    run.pausedAt ??= Date.now();
    stopPauseWatchdog(run.watchdog);
    run.watchdog = startPauseWatchdog({ pgid: proc.pgid, marker: proc.marker, at: pause.capAt });
    this.host.send({ type: 'job-paused', ...runRef(run), until: pause.until });
  }

  /** End the pause: continue the job (or build) and take work again. */
  async resume(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const state = this.host.state();
    const pause = state.pause;
    if (!pause) return;
    state.pause = null;
    stopPauseWatchdog(pause.watchdog);
    for (const { proc } of this.host.jobs()) proc.resume();
    for (const proc of this.host.otherProcs()) proc.resume();
    for (const run of state.runs) {
      stopPauseWatchdog(run.watchdog);
      run.watchdog = undefined;
      if (!run.pausedAt) continue;
      run.pausedMs += Math.max(0, Date.now() - run.pausedAt);
      run.pausedAt = null;
      this.host.send({ type: 'job-resumed', ...runRef(run) });
    }
    this.host.log('resumed');
    this.host.send({ type: 'node-resumed' });
    await this.host.save();
    this.host.changed();
  }

  /**
   * The job's processes are gone. If it ended while stopped (killed, cancelled), the stopped time
   * is still not run time, and its watchdog has nothing left to continue. Does not save.
   */
  jobEnded(run: PersistedRun): void {
    stopPauseWatchdog(run.watchdog);
    run.watchdog = undefined;
    if (!run.pausedAt) return;
    run.pausedMs += Math.max(0, Date.now() - run.pausedAt);
    run.pausedAt = null;
  }

  /**
   * After an agent restart, with the state just loaded: a pause does not outlive the agent that
   * made it. It is dropped (the caller continues the adopted job and tells the head), and the
   * job's stopped time, which lasted until now or until the watchdog continued it at the hard end,
   * is not run time. Does not save.
   */
  dropAfterRestart(): void {
    const state = this.host.state();
    const pause = state.pause;
    if (pause) stopPauseWatchdog(pause.watchdog);
    for (const run of state.runs) {
      stopPauseWatchdog(run.watchdog);
      run.watchdog = undefined;
      if (pause && run.pausedAt) run.pausedMs += Math.max(0, Math.min(Date.now(), pause.capAt) - run.pausedAt);
      run.pausedAt = null;
    }
    state.pause = null;
  }

  /** Stops the end-of-pause timer (the agent is stopping). */
  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  /** The pause reached its end: resume, or at the maximum with atMaxPause 'requeue' hand the job back. */
  private async ended(): Promise<void> {
    const state = this.host.state();
    const pause = state.pause;
    this.timer = null;
    if (!pause) return;
    const jobs = this.host.jobs();
    if (pause.atMax && this.host.atMaxPause === 'requeue' && jobs.length) {
      // The node stays paused until resumed; nothing is left stopped once the jobs are gone.
      pause.until = null;
      for (const { run } of jobs) {
        this.host.log(`${run.batch.name}/${run.spec.name} was paused for the maximum; handing it back to the head`);
        this.host.handBack(run, 'paused for the maximum time; handed back to run elsewhere');
      }
      return;
    }
    await this.resume();
  }
}
