/**
 * The pause of a node, owned by the agent.
 *
 * A pause belongs to the node: while it lasts no job is taken, and every running job's (and
 * build step's) whole process tree is stopped. It ends by itself at `capAt` (its own end, or the
 * maximum), a detached watchdog per job continues it if the agent is gone by then, and a restarted
 * agent continues the jobs at once ({@link NodePause.dropAfterRestart}). Stopped time is kept in
 * each running run's pausedAt and the run's pausedMs so it is never counted as run time.
 *
 * The pause itself lives in the agent's persisted state (`state.pause`), so it is saved with the
 * run it applies to.
 */
import { EventEmitter } from 'node:events';
import type { AgentMessage } from '../../shared/protocol/index.ts';
import { runRef, type AgentStore, type PersistedRun, type PersistedState } from './agent-store.ts';
import type { Clock, TimerHandle } from './clock.ts';
import type { JobProcess } from './runner/index.ts';
import { startPauseWatchdog, stopPauseWatchdog, type WatchdogOptions } from './pause-watchdog.ts';

/** Default longest pause: 4 h. */
export const DEFAULT_MAX_PAUSE_MS = 4 * 3600_000;
/** setTimeout's limit (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Who asked for a pause (for the log). */
export type PauseReason = 'user' | 'head' | 'idle';

/** The detached processes that continue a stopped job if the agent is gone when its pause ends. */
export interface Watchdogs {
  start(opts: WatchdogOptions): number;
  stop(pid: number | undefined): void;
}

/** The real watchdogs of pause-watchdog.ts. */
export const processWatchdogs: Watchdogs = { start: startPauseWatchdog, stop: stopPauseWatchdog };

/** What the pause works with. */
export interface NodePauseDeps {
  /** The agent's persisted state (its `pause` field is this pause); saved after each change. */
  store: AgentStore;
  /** Every running job with its process (phase 'running'). */
  jobs(): { run: PersistedRun; proc: JobProcess }[];
  /** Every other process the pause must stop (build steps). */
  otherProcs(): JobProcess[];
  /** Sends to the head (the agent's link). */
  send(m: AgentMessage): boolean;
  log(line: string): void;
  clock: Clock;
  /** Default: real detached watchdog processes. */
  watchdogs?: Watchdogs;
  /** Longest pause (ms); default {@link DEFAULT_MAX_PAUSE_MS}. */
  maxPauseMs?: number;
  /** What a job still paused at the maximum does (default 'resume'). */
  atMaxPause?: 'resume' | 'requeue';
}

/** Events of a {@link NodePause}. */
export interface NodePauseEvents {
  /** The pause started, changed or ended (the snapshot changed). */
  changed: [];
  /**
   * A pause reached the maximum with atMaxPause 'requeue': the owner kills `run` and hands it back
   * to the head, giving `reason`.
   */
  'hand-back': [run: PersistedRun, reason: string];
}

/** Starts, replaces and ends the node's pause, and applies it to the running jobs and builds. */
export class NodePause extends EventEmitter<NodePauseEvents> {
  private timer: TimerHandle | null = null;
  private readonly watchdogs: Watchdogs;

  constructor(private readonly host: NodePauseDeps) {
    super();
    this.watchdogs = host.watchdogs ?? processWatchdogs;
  }

  private state(): PersistedState {
    return this.host.store.state;
  }

  private async saved(): Promise<void> {
    await this.host.store.save();
    this.emit('changed');
  }

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
    const state = this.state();
    const now = this.host.clock.now();
    const max = this.maxPauseMs;
    const atMax = durationMs === null || durationMs >= max;
    const capAt = now + (atMax ? max : durationMs);
    const until = durationMs === null ? null : capAt;
    const pause = { since: state.pause?.since ?? now, until, capAt, atMax };
    state.pause = pause;
    this.host.clock.clearTimeout(this.timer);
    this.timer = this.host.clock.setTimeout(() => void this.ended(), capAt - now);
    for (const { run, proc } of this.host.jobs()) this.pauseJob(run, proc);
    for (const proc of this.host.otherProcs()) proc.pause();
    this.host.log(`paused by ${reason} ${until === null ? 'until resumed' : `until ${new Date(until).toISOString()}`}`);
    this.host.send({ type: 'node-paused', until });
    await this.saved();
  }

  /** Stops a running job's tree, (re)arms its watchdog and tells the head. Needs a pause; does not save. */
  pauseJob(run: PersistedRun, proc: JobProcess): void {
    const pause = this.state().pause;
    const running = run.state;
    if (!pause || running.phase !== 'running') return;
    proc.pause();
    running.pausedAt ??= this.host.clock.now();
    this.watchdogs.stop(running.watchdog);
    running.watchdog = this.watchdogs.start({ pgid: proc.pgid, marker: proc.marker, at: pause.capAt, now: this.host.clock.now() });
    this.host.send({ type: 'job-paused', ...runRef(run), until: pause.until });
  }

  /** End the pause: continue the job (or build) and take work again. */
  async resume(): Promise<void> {
    this.host.clock.clearTimeout(this.timer);
    this.timer = null;
    const state = this.state();
    const pause = state.pause;
    if (!pause) return;
    state.pause = null;
    this.watchdogs.stop(pause.watchdog);
    for (const { proc } of this.host.jobs()) proc.resume();
    for (const proc of this.host.otherProcs()) proc.resume();
    for (const run of state.runs) if (this.endStop(run)) this.host.send({ type: 'job-resumed', ...runRef(run) });
    this.host.log('resumed');
    this.host.send({ type: 'node-resumed' });
    await this.saved();
  }

  /**
   * The job's processes are gone. If it ended while stopped (killed, cancelled), the stopped time
   * is still not run time, and its watchdog has nothing left to continue. Does not save.
   */
  jobEnded(run: PersistedRun): void {
    this.endStop(run);
  }

  /**
   * A running run's pause is over (resumed, or its processes gone): its watchdog is stopped and the
   * time it was stopped is added to its paused time. True when it had been stopped.
   */
  private endStop(run: PersistedRun): boolean {
    const running = run.state;
    if (running.phase !== 'running') return false;
    this.watchdogs.stop(running.watchdog);
    delete running.watchdog;
    if (!running.pausedAt) return false;
    run.pausedMs += Math.max(0, this.host.clock.now() - running.pausedAt);
    running.pausedAt = null;
    return true;
  }

  /**
   * After an agent restart, with the state just loaded: a pause does not outlive the agent that
   * made it. It is dropped (the caller continues the adopted job and tells the head), and the
   * job's stopped time, which lasted until now or until the watchdog continued it at the hard end,
   * is not run time. Does not save.
   */
  dropAfterRestart(): void {
    const state = this.state();
    const pause = state.pause;
    if (pause) this.watchdogs.stop(pause.watchdog);
    for (const run of state.runs) {
      const running = run.state;
      if (running.phase !== 'running') continue;
      this.watchdogs.stop(running.watchdog);
      delete running.watchdog;
      if (pause && running.pausedAt) run.pausedMs += Math.max(0, Math.min(this.host.clock.now(), pause.capAt) - running.pausedAt);
      running.pausedAt = null;
    }
    state.pause = null;
  }

  /** Stops the end-of-pause timer (the agent is stopping). */
  dispose(): void {
    this.host.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  /** The pause reached its end: resume, or at the maximum with atMaxPause 'requeue' hand the job back. */
  private async ended(): Promise<void> {
    const state = this.state();
    const pause = state.pause;
    this.timer = null;
    if (!pause) return;
    const jobs = this.host.jobs();
    if (pause.atMax && this.host.atMaxPause === 'requeue' && jobs.length) {
      // The node stays paused until resumed; nothing is left stopped once the jobs are gone.
      pause.until = null;
      for (const { run } of jobs) {
        this.host.log(`${run.batch.name}/${run.spec.name} was paused for the maximum; handing it back to the head`);
        this.emit('hand-back', run, 'paused for the maximum time; handed back to run elsewhere');
      }
      return;
    }
    await this.resume();
  }
}
