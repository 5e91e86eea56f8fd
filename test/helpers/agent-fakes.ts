/**
 * Fakes for unit tests of the agent core (electron/agent/agent.ts): a head link the test plays
 * the head on, a file transfer that answers at once (or refuses), job processes the test ends,
 * and watchdogs that only count. Together with FakeClock (fake-clock.ts) they make every
 * decision of the agent observable without a head, a network or a real job.
 */
import { EventEmitter } from 'node:events';
import type { AgentMessage, HeadMessage, Hello, ResultFile } from '../../shared/protocol/index.ts';
import type { Capabilities } from '../../shared/protocol/capabilities.ts';
import type { PersistedRun } from '../../electron/agent/agent-store.ts';
import type { AgentDeps } from '../../electron/agent/agent.ts';
import type { FileTransfer } from '../../electron/agent/file-transfer.ts';
import type { AfterRefusal, HeadLink, HeadLinkEvents, HeadLinkOptions } from '../../electron/agent/head-link.ts';
import type { JobExit, JobLauncher, JobProcess } from '../../electron/agent/runner/index.ts';
import type { Watchdogs } from '../../electron/agent/node-pause.ts';
import { FakeClock, settle } from './fake-clock.ts';

/** A head link the test drives: it records what the agent sends and delivers what the "head" says. */
export class FakeLink extends EventEmitter<HeadLinkEvents> implements HeadLink {
  readonly sent: AgentMessage[] = [];
  /** Every hello the agent built, one per (re)connection. */
  readonly hellos: Hello[] = [];
  /** What the agent answered to each close from the head. */
  readonly refusals: AfterRefusal[] = [];
  started = false;
  private up = false;

  constructor(readonly opts: HeadLinkOptions) {
    super();
  }

  start(): void {
    this.started = true;
  }

  stop(): void {
    this.started = false;
    this.up = false;
  }

  send(message: AgentMessage): boolean {
    if (!this.up) return false;
    this.sent.push(message);
    return true;
  }

  get connected(): boolean {
    return this.up;
  }

  whenConnected(): Promise<boolean> {
    return Promise.resolve(this.up);
  }

  /**
   * The head accepts a (re)connection: the agent's hello is recorded, then the welcome arrives
   * (the first one enrolls the node: it carries a credential unless `welcome` says otherwise).
   */
  async connect(welcome: Partial<Extract<HeadMessage, { type: 'welcome' }>> = {}): Promise<Hello> {
    const first = this.hellos.length === 0;
    this.emit('state', 'connecting');
    const hello = await this.opts.hello();
    this.hellos.push(hello);
    this.up = true;
    this.emit('state', 'connected');
    this.emit('message', { type: 'welcome', nodeId: 'n1', heartbeatMs: 5000, timeoutMs: 30_000, headVersion: 'test', ...(first ? { credential: 'node-cred' } : {}), ...welcome });
    await settle();
    return hello;
  }

  /** The link drops (head gone); with `code`, the head closed it with that refusal. */
  async lose(code = 1006, reason = ''): Promise<void> {
    this.up = false;
    this.emit('state', 'offline', `closed ${code}`);
    if (code !== 1006) this.refusals.push(this.opts.onClosed?.(code, reason) ?? 'default');
    await settle();
  }

  /** The head sends `message`. */
  async deliver(message: HeadMessage): Promise<void> {
    this.emit('message', message);
    await settle();
  }

  /** Messages sent of `type`. */
  of<T extends AgentMessage['type']>(type: T): Extract<AgentMessage, { type: T }>[] {
    return this.sent.filter((m): m is Extract<AgentMessage, { type: T }> => m.type === type);
  }
}

/** A job process the test ends (exit, signal) and whose pause/kill the test observes. */
export class FakeJob implements JobProcess {
  readonly pid: number;
  readonly pgid: number;
  readonly marker = 'DISTRIBUTE_JOB_MARKER=fake';
  readonly done: Promise<JobExit>;
  paused = false;
  /** How often it was stopped and continued, in order ('pause' / 'resume'). */
  readonly signals: string[] = [];
  killed = false;
  private end!: (exit: JobExit) => void;

  constructor(pid: number) {
    this.pid = pid;
    this.pgid = pid;
    this.done = new Promise((resolve) => { this.end = resolve; });
  }

  pause(): void {
    this.paused = true;
    this.signals.push('pause');
  }

  resume(): void {
    this.paused = false;
    this.signals.push('resume');
  }

  isPaused(): boolean {
    return this.paused;
  }

  kill(): Promise<JobExit> {
    this.killed = true;
    this.end({ kind: 'signaled', signal: 'SIGTERM' });
    return this.done;
  }

  /** The job exits by itself. */
  exit(code: number): void {
    this.end({ kind: 'exited', code });
  }
}

/** Launches {@link FakeJob}s (and adopts them) and keeps each one for the test. */
export class FakeLauncher implements JobLauncher {
  readonly jobs: FakeJob[] = [];
  readonly adopted: FakeJob[] = [];
  private nextPid = 4_000_000;
  /** Called at each launch, before the job exists (to look at what the agent saved by then). */
  onLaunch: (() => void) | null = null;

  launch(): JobProcess {
    this.onLaunch?.();
    const job = new FakeJob(this.nextPid++);
    this.jobs.push(job);
    return job;
  }

  adopt(_dir: string, pid: number): JobProcess {
    const job = new FakeJob(pid);
    this.adopted.push(job);
    return job;
  }

  /** The newest job launched. */
  get last(): FakeJob {
    const job = this.jobs.at(-1);
    if (!job) throw new Error('no job launched');
    return job;
  }
}

/** A transfer that has every input and stores every result at once, unless told to refuse. */
export class FakeTransfer implements FileTransfer {
  readonly fetched: string[] = [];
  readonly uploads: { runId: string; only: string[] | null }[] = [];
  /** Set to make uploads fail with this error (the head refused them). */
  refuseUploads: Error | null = null;
  /** Set to make input downloads fail with this error. */
  refuseInputs: Error | null = null;
  files: ResultFile[] = [{ path: 'stdout.txt', size: 0, sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' }];

  async fetchInputs(run: PersistedRun): Promise<string[]> {
    if (this.refuseInputs) throw this.refuseInputs;
    this.fetched.push(run.runId);
    return [];
  }

  async uploadResults(run: PersistedRun, only?: Set<string>): Promise<{ files: ResultFile[]; skipped: string[] }> {
    this.uploads.push({ runId: run.runId, only: only ? [...only] : null });
    if (this.refuseUploads) throw this.refuseUploads;
    return { files: this.files, skipped: [] };
  }
}

/** Watchdogs that start nothing: they hand out made-up pids and remember which are live. */
export class FakeWatchdogs implements Watchdogs {
  readonly live = new Set<number>();
  private next = 5_000_000;

  start(): number {
    const pid = this.next++;
    this.live.add(pid);
    return pid;
  }

  stop(pid: number | undefined): void {
    if (pid !== undefined) this.live.delete(pid);
  }
}

/** A node with 4 cores and nothing else, as the fake capability detection reports it. */
export const FAKE_CAPABILITIES: Capabilities = { tags: [], physicalCores: 4, logicalCores: 4, memoryBytes: 8 * 2 ** 30, gpus: [] };

/** Every fake an agent needs, wired up; `link` is set once the agent built it. */
export class AgentFakes {
  readonly clock = new FakeClock();
  readonly launcher = new FakeLauncher();
  readonly transfer = new FakeTransfer();
  readonly watchdogs = new FakeWatchdogs();
  private made: FakeLink | null = null;

  get link(): FakeLink {
    if (!this.made) throw new Error('the agent has not built its link yet');
    return this.made;
  }

  /** The deps to hand `createAgent`. */
  deps(): AgentDeps {
    return {
      clock: this.clock,
      link: (opts) => (this.made = new FakeLink(opts)),
      transfer: () => this.transfer,
      launcher: this.launcher,
      watchdogs: this.watchdogs,
      detectCapabilities: async (tags) => ({ ...FAKE_CAPABILITIES, tags }),
    };
  }
}
