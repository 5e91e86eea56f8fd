/**
 * The agent core: plain Node, hosted by `distribute agent` and by the tray app. It offers the
 * node's cores, memory and GPUs (or less, see offer.ts) and holds as many runs as their requests
 * fit; a run without a request has the node alone. Each run: download inputs → build once per
 * batch (later runs of the batch wait for that build) → run the job with its share of cores and
 * its own GPUs → upload results → report. What it holds is persisted in `agent-state.json`, so a
 * restarted agent adopts the jobs that survived it (continuing them if they were stopped) and
 * re-reports finished ones.
 */
import os from 'node:os';
import path from 'node:path';
import { EventEmitter } from 'node:events';
import { CloseCode, PROTOCOL_VERSION, type HeadMessage, type Hello, type ResultFile } from '../../shared/protocol/index.ts';
import { VERSION } from '../../shared/version.ts';
import type { AgentSnapshot, Connection } from './agent-state.ts';
import { AgentStore, currentJob, runKey, runMs, runRef, type PersistedRun, type PersistedState } from './agent-store.ts';
import type { Clock } from './clock.ts';
import type { FileTransfer, FileTransferFactory } from './file-transfer.ts';
import type { AfterRefusal, HeadLink, HeadLinkFactory, LinkState } from './head-link.ts';
import { NodeCredentialFile } from './node-credential.ts';
import { endUnrecordedJobs, jobFiles, type JobLauncher, jobMarker, type JobProcess, prepareBuild, prepareJobDirs, removeTree, signalTree, toResult, workDirOf, Workspace } from './runner/index.ts';
import { NodePause, type PauseReason, type Watchdogs } from './node-pause.ts';
import { runBuildStep, type BuildOutcome } from './build-step.ts';
import { addUsage, canHold, capacityOf, fits, freeCapacity, jobShare, NO_USAGE, type Usage } from '../../shared/batch/request.ts';
import { applyOffer, freeGpuSlots, gpuEnv } from './offer.ts';
import { LogForwarder } from './log-forwarder.ts';
import { ResultReporter } from './result-reporter.ts';
import { moveRun, type ExitedRun } from './run-state.ts';
import { forgetNoStreams, keepResults, readInline, type UploadedResults } from './result-upload.ts';
import { settingsProblem, type AgentSettings } from './agent-settings.ts';

export type { AgentSettings } from './agent-settings.ts';

type Events = { change: [AgentSnapshot] };

/**
 * What the agent core works with besides its settings. create-agent.ts builds the real ones (the
 * one factory `distribute agent`, `distribute up` and the tray use); unit tests pass fakes.
 */
export interface AgentDeps {
  /** Time and timers (clock.ts). */
  clock: Clock;
  /** Makes the link to the head (head-link.ts; real: connection.ts). */
  link: HeadLinkFactory;
  /** Makes the file transfer (file-transfer.ts; real: HTTP to the head). */
  transfer: FileTransferFactory;
  /** Starts and adopts job processes (job-launch.ts). */
  launcher: JobLauncher;
  /** The pause watchdogs (node-pause.ts). */
  watchdogs: Watchdogs;
  /** What this node has, before the offer narrows it (capabilities.ts). */
  detectCapabilities: (tags: string[]) => Promise<AgentSnapshot['capabilities']>;
}

/** How long a stopping agent that is not connected waits for the head to hear its hand-back. */
const HAND_BACK_CONNECT_MS = 5000;

/** What the agent keeps in memory about a run it holds (the persisted part is `run`). */
interface LiveRun {
  run: PersistedRun;
  /** The job's process while it runs. */
  proc: JobProcess | null;
  /** Why the head cancelled it (null: it was not). */
  cancelled: string | null;
  /** Why it is being killed to hand it back to the head (null: it is not). */
  handingBack: string | null;
  logs: LogForwarder;
  /** Settles when the run is over on this node (reported, handed back or dropped). */
  done: Promise<void>;
  /** A job in hand (phase `waiting`): called when it may start, or must not (cancelled). */
  wake?: () => void;
}

/**
 * A run occupies its share of the node from its start until its processes ended (uploading,
 * finished); a job in hand (waiting) occupies nothing yet.
 */
function occupies(run: PersistedRun): boolean {
  return run.state.phase !== 'uploading' && run.state.phase !== 'finished' && run.state.phase !== 'waiting';
}

/** One workstation's agent; emits 'change' with a new snapshot whenever what it shows changes. */
export class Agent extends EventEmitter<Events> {
  readonly name: string;
  private readonly ws: Workspace;
  private readonly conn: HeadLink;
  private readonly transfer: FileTransfer;
  private readonly clock: Clock;
  /** Where this agent's log lines go (settings.log, else stderr prefixed with the node name). */
  readonly log: (line: string) => void;
  private readonly store: AgentStore;
  private connection: Connection = 'connecting';
  private capabilities: AgentSnapshot['capabilities'] = { tags: [], physicalCores: 1, logicalCores: 1, memoryBytes: 0, gpus: [] };
  /** The runs held, by runKey (finished ones stay until the head acknowledged them). */
  private readonly live = new Map<string, LiveRun>();
  /** Build steps in progress, by batch id: later runs of the batch wait for the same one. */
  private readonly builds = new Map<string, Promise<BuildOutcome>>();
  /** Build step processes running now (the pause stops them too). */
  private readonly buildProcs = new Set<JobProcess>();
  private readonly reporter: ResultReporter;
  private readonly pauses: NodePause;
  /** stop() was called: take no new job. */
  private stopping = false;
  /** The head of this connection takes `job-exited` (its welcome said so). */
  private exitReports = false;
  /** Bytes of result files the head of this connection takes inline per report (0: none). */
  private inlineBytes = 0;
  /**
   * A run's results left the working folder (keepResults) and no save has recorded it yet. The
   * next job must not start before one does: a restarted agent would otherwise adopt the ended run
   * again and take what the next job left in that folder for its results.
   */
  private movedUnsaved = false;
  /** The node credential once enrolled (node-credential.ts), else the enrollment token. */
  private token: string;
  private readonly credentialFile: NodeCredentialFile;

  constructor(private readonly settings: AgentSettings, private readonly deps: AgentDeps) {
    super();
    const problem = settingsProblem(settings);
    if (problem) throw new Error(problem);
    this.name = settings.name ?? os.hostname();
    this.ws = new Workspace(path.resolve(settings.workdir));
    this.log = settings.log ?? ((line) => process.stderr.write(`[agent ${this.name}] ${line}\n`));
    this.store = new AgentStore(this.ws.statePath(), this.log, deps.clock);
    this.token = settings.token;
    this.credentialFile = new NodeCredentialFile(this.ws.root);
    this.clock = deps.clock;
    this.conn = deps.link({
      headUrl: settings.headUrl,
      token: () => this.token,
      onClosed: (code, reason) => this.onClosed(code, reason),
      hello: () => this.hello(),
      log: this.log,
      clock: this.clock,
    });
    this.conn.on('message', (m) => this.onMessage(m));
    this.conn.on('state', (s, detail) => this.onLinkState(s, detail));
    this.transfer = deps.transfer({ ws: this.ws, headUrl: settings.headUrl, token: () => this.token, log: this.log });
    this.pauses = new NodePause({
      store: this.store,
      jobs: () => [...this.live.values()].flatMap((l) => (l.proc && l.run.state.phase === 'running' ? [{ run: l.run, proc: l.proc }] : [])),
      otherProcs: () => [...this.buildProcs],
      send: (m) => this.conn.send(m),
      log: this.log,
      clock: this.clock,
      watchdogs: deps.watchdogs,
      maxPauseMs: settings.maxPauseMs,
      atMaxPause: settings.atMaxPause,
    });
    this.pauses.on('changed', () => this.changed());
    this.pauses.on('hand-back', (run, reason) => {
      const l = this.live.get(runKey(runRef(run)));
      if (!l) return;
      l.handingBack = reason;
      void this.killProc(l);
    });
    this.reporter = new ResultReporter({
      store: this.store,
      link: this.conn,
      upload: (run, only) => this.uploadAll(run, only),
      readInline: (run, paths) => readInline(this.ws, run, paths),
      inlineAccepted: () => this.inlineBytes > 0,
      removeRunDir: (run) => this.removeRunDir(run),
      clock: this.clock,
    });
    this.reporter.on('changed', () => {
      this.startWaiting();
      this.changed();
    });
  }

  private onLinkState(s: LinkState, detail?: string): void {
    this.connection = s;
    if (s === 'offline' && detail) this.log(`disconnected (${detail})`);
    if (s === 'connected') this.log(`connected to ${this.settings.headUrl}`);
    this.changed();
  }

  async start(): Promise<void> {
    await this.ws.init();
    const offered = applyOffer(await this.deps.detectCapabilities(this.settings.tags), { cpus: this.settings.cpus, memoryGb: this.settings.memoryGb, gpus: this.settings.gpus });
    for (const note of offered.notes) this.log(note);
    this.capabilities = offered.capabilities;
    await this.store.load();
    this.token = (await this.credentialFile.load(this.name, this.log)) ?? this.settings.token;
    await this.recover();
    this.conn.start();
  }

  /** This node holds its own credential (it enrolled); false while it still has to enroll. */
  get enrolled(): boolean {
    return this.token !== this.settings.token;
  }

  /** Resolved by {@link keepCredential}: uploads that wait for the node to enroll. */
  private enrolledWaiters: (() => void)[] = [];

  /**
   * Resolves once this node holds its credential. Result uploads wait for it: a job adopted at
   * start (it ran on while no agent was there) may end before the first connection enrolled, and
   * the enrollment token is refused for uploads.
   */
  private untilEnrolled(): Promise<void> {
    return this.enrolled ? Promise.resolve() : new Promise((resolve) => this.enrolledWaiters.push(resolve));
  }

  /** The head handed over this node's credential in its welcome: keep it, use it from now on. */
  private async keepCredential(credential: string): Promise<void> {
    this.token = credential;
    for (const resolve of this.enrolledWaiters.splice(0)) resolve();
    try {
      await this.credentialFile.save(this.name, credential);
      this.log(`enrolled as node '${this.name}'; credential stored in ${this.credentialFile.file}`);
    } catch (err) {
      this.log(`enrolled as node '${this.name}' but cannot store the credential in ${this.credentialFile.file}: ${(err as Error).message}. After this agent stops, the head admin must free the name (distribute nodes rm ${this.name})`);
    }
  }

  /** The head closed the socket: react to refusals that concern this node's credential. */
  private onClosed(code: number, reason: string): AfterRefusal {
    if (code === CloseCode.revoked) {
      // The admin removed this node: drop the credential, stop the jobs (the head re-queued them)
      // and stay offline until the agent is started again.
      this.log(`the head admin removed this node (${reason}); stopping work. Start the agent again to enroll anew.`);
      this.token = this.settings.token;
      void this.credentialFile.remove();
      for (const l of this.live.values()) {
        if (!l.proc) continue;
        l.cancelled = 'node removed by the head admin';
        void this.killProc(l);
      }
      return 'stop';
    }
    if (code === CloseCode.unauthorized && this.enrolled) {
      // Forgotten (offline too long) or removed while offline: enroll again, which only works
      // with the current enrollment token.
      this.log(`the head does not know this node's credential any more (${reason}); enrolling again with the enrollment token`);
      this.token = this.settings.token;
      void this.credentialFile.remove();
      return 'retry-now';
    }
    if (code === CloseCode.nameTaken) this.log(`${reason}`);
    return 'default';
  }

  /**
   * Stop the agent. With `handBack` a running job is killed (its whole tree) and given back to the
   * head, which re-queues it at once; without it the job keeps running and a restarted agent adopts
   * it (an agent upgrade loses no work). Either way nothing is left stopped.
   */
  async stop(opts: { handBack?: boolean } = {}): Promise<void> {
    this.stopping = true;
    this.handBackWaiting('the agent is stopping');
    const running = [...this.live.values()].filter((l) => l.proc && l.run.state.phase === 'running');
    if (opts.handBack && running.length && !this.conn.connected) {
      // Stopped right after starting (adopted jobs, not connected yet): give the connection a
      // moment, so the head hears the hand-backs now instead of after its node timeout.
      await this.conn.whenConnected(HAND_BACK_CONNECT_MS);
    }
    this.conn.send({ type: 'leaving' });
    if (opts.handBack) {
      for (const l of running) {
        this.log(`stopping: handing ${l.run.batch.name}/${l.run.spec.name} back to the head`);
        l.handingBack = 'the agent on this node was stopped; handed back to run elsewhere';
      }
      await Promise.all(running.map(async (l) => {
        await this.killProc(l);
        await l.done;
      }));
    }
    // Never leave a job stopped behind us (and tell the head while we still can).
    if (this.state.pause) await this.resume();
    this.pauses.dispose();
    this.conn.stop();
    this.store.close();
  }

  // ---- snapshot ------------------------------------------------------------------------------

  /** What the agent holds and shows now. */
  snapshot(): AgentSnapshot {
    const jobs = this.state.runs.map(currentJob).filter((j) => j !== null);
    const free = freeCapacity(capacityOf(this.capabilities), this.usage());
    return {
      name: this.name,
      headUrl: this.settings.headUrl,
      connection: this.connection,
      capabilities: this.capabilities,
      current: jobs[0] ?? null,
      jobs,
      free,
      pause: this.state.pause ? { since: this.state.pause.since, until: this.state.pause.until, capAt: this.state.pause.capAt } : null,
      recent: this.state.recent,
    };
  }

  private changed(): void {
    // Several times per job: build the snapshot only for someone listening (tray, control endpoint).
    if (this.listenerCount('change') > 0) this.emit('change', this.snapshot());
  }

  // ---- persistence ---------------------------------------------------------------------------

  /** The persisted state (agent-state.json), edited in place. */
  private get state(): PersistedState {
    return this.store.state;
  }

  private save(): Promise<void> {
    this.movedUnsaved = false;
    return this.store.save();
  }

  /** After a restart: continue the jobs that survived us (never left stopped), or finish reporting. */
  private async recover(): Promise<void> {
    // A pause does not outlive the agent that made it: the jobs are continued (adoption below
    // sends SIGCONT) and the head is told at the welcome.
    this.pauses.dropAfterRestart();
    // Every run folder the state file names (exit code paths, as the job markers carry them).
    const known = new Set(this.state.runs.flatMap((run) => [this.ws.runDirOf(run), this.ws.runDir(run.batch.id, '_build', run.runId)]
      .map((dir) => path.resolve(jobFiles(dir).exitCodePath))));
    for (const run of [...this.state.runs]) {
      const state = run.state;
      if (state.phase === 'running' && state.pid && state.pgid) {
        const l = this.track(run);
        const dir = this.ws.runDirOf(run);
        const proc = this.deps.launcher.adopt(dir, state.pid, state.pgid, (s, c) => l.logs.push(s, c));
        proc.resume();
        this.log(`adopted ${run.batch.name}/${run.spec.name} (pid ${state.pid}) from a previous agent process`);
        l.proc = proc;
        l.done = this.supervise(l, proc).catch((err) => this.runFailed(run, err));
      } else if (state.phase === 'uploading') {
        // Died while uploading a result (perhaps waiting for space on the head): finish the upload.
        const l = this.track(run);
        this.log(`resuming the upload of ${run.batch.name}/${run.spec.name} from a previous agent process`);
        const exited = state.exited;
        // Saved by an older version, the results are still in the working folder: move them out
        // before any new job can start there.
        l.done = (run.resultsKept ? Promise.resolve() : keepResults(this.ws, run).then(() => undefined))
          .then(() => this.uploadAndReport(run, exited)).catch((err) => this.runFailed(run, err));
      } else if (state.phase === 'finished') {
        this.track(run);
      } else {
        // Died while downloading, building or running without a pid: give the job back; the head re-queues it.
        // A build or job started in the instant before its pid was saved would run on unsupervised:
        // end whatever carries its marker.
        const dirs = [this.ws.runDirOf(run), this.ws.runDir(run.batch.id, '_build', run.runId)];
        const killed = dirs.flatMap((dir) => signalTree(-1, -1, 'SIGKILL', jobMarker(jobFiles(dir).exitCodePath), 0));
        if (killed.length) this.log(`ended ${killed.length} process(es) of ${run.batch.name}/${run.spec.name} that a previous agent process started but never recorded`);
        this.store.drop(run);
      }
    }
    // A run is first saved when its job starts, with the pid: a build or job process started in
    // the instant before has no record at all. End whatever carries the marker of a run folder
    // here that the state file does not name.
    for (const { dir, count } of endUnrecordedJobs(path.join(this.ws.root, 'runs'), known)) {
      this.log(`ended ${count} process(es) of ${path.relative(this.ws.root, dir)} that a previous agent process started but never recorded`);
    }
    await this.save();
  }

  /** Starts keeping `run` in memory. */
  private track(run: PersistedRun): LiveRun {
    const ref = runRef(run);
    const l: LiveRun = {
      run, proc: null, cancelled: null, handingBack: null, done: Promise.resolve(),
      logs: new LogForwarder((m) => this.conn.send(m), () => ref),
    };
    this.live.set(runKey(ref), l);
    return l;
  }

  /** Forgets `run`: it is over on this node. Does not save. */
  private untrack(run: PersistedRun): void {
    this.live.delete(runKey(runRef(run)));
    this.store.drop(run);
  }

  /**
   * What the runs held occupy (runs of older agents without a recorded share count as whole-node).
   * A run whose processes ended occupies nothing: its results upload (from its own folder, see
   * keepResults) or wait for the head's answer while the next job runs.
   */
  private usage(): Usage {
    const capacity = capacityOf(this.capabilities);
    let usage = NO_USAGE;
    for (const run of this.state.runs) {
      if (!occupies(run)) continue;
      usage = addUsage(usage, run.whole === false ? jobShare(run.batch, run.spec) : null, capacity);
    }
    return usage;
  }

  // ---- protocol ------------------------------------------------------------------------------

  private async hello(): Promise<Hello> {
    // Every phase is reported (downloading, building and uploading too): a run the head does not
    // hear about is re-queued and would run twice.
    const held: Hello['held'] = this.state.runs.map((run) => ({
      runId: run.runId, runKey: run.runKey,
      state: run.state.phase === 'finished' ? 'finished' : this.live.get(runKey(runRef(run)))?.proc?.isPaused() ? 'paused' : 'running',
      pausedUntil: this.state.pause?.until ?? null,
    }));
    return {
      type: 'hello', protocol: PROTOCOL_VERSION, agentVersion: VERSION, name: this.name,
      capabilities: this.capabilities, held, built: this.state.built, owner: this.settings.owner, takesAhead: true,
    };
  }

  private onMessage(m: HeadMessage): void {
    switch (m.type) {
      case 'welcome': {
        if (m.credential) void this.keepCredential(m.credential);
        this.exitReports = m.exitReports === true;
        this.inlineBytes = m.inlineResults ?? 0;
        // The head may have been upgraded while we were apart: offer it result streams again.
        forgetNoStreams(this.settings.headUrl);
        // Runs whose processes ended occupy nothing here: say so again to this head (it counted
        // them as running from the hello).
        for (const run of this.state.runs) this.reportExited(run);
        // The agent owns the pause: tell the head either way, since it remembers a pause of an
        // earlier agent process that recover() dropped.
        this.conn.send(this.state.pause ? { type: 'node-paused', until: this.state.pause.until } : { type: 'node-resumed' });
        for (const run of this.state.runs) if (run.state.phase === 'finished') this.reporter.onWelcome(run);
        return;
      }
      case 'assign':
        void this.onAssign(m);
        return;
      case 'cancel': {
        const l = this.live.get(runKey(m));
        if (l && l.run.state.phase !== 'finished') {
          this.log(`cancelling ${l.run.batch.name}/${l.run.spec.name}: ${m.reason}`);
          l.cancelled = m.reason;
          l.wake?.(); // a job in hand never starts
          void this.killProc(l);
        }
        return;
      }
      case 'result-ack':
        this.reporter.onAck(m);
        return;
      case 'pause':
        void this.pause(m.until === null ? null : Math.max(0, m.until - this.clock.now()), 'head');
        return;
      case 'resume':
        void this.resume();
        return;
      case 'forget-batch':
        void this.forgetBatch(m.batchId).catch((err) => this.log(`cleaning up batch ${m.batchId}: ${(err as Error).message}`));
        return;
      case 'heartbeat':
        return;
    }
  }

  /**
   * A batch ended on the head: drop its folders and the cached inputs no other batch here still
   * uses, so a workstation's disk does not fill up with old meshes and images.
   */
  private async forgetBatch(batchId: string): Promise<void> {
    if (this.state.runs.some((r) => r.batch.id === batchId)) return;
    const inputs = this.state.inputs ?? {};
    const mine = inputs[batchId] ?? [];
    delete inputs[batchId];
    this.state.built = this.state.built.filter((b) => b !== batchId);
    const stillUsed = new Set(Object.values(inputs).flat());
    await this.ws.removeBatch(batchId);
    await this.ws.removeCached(mine.filter((sha) => !stillUsed.has(sha)));
    await this.save();
  }

  private async onAssign(m: Extract<HeadMessage, { type: 'assign' }>): Promise<void> {
    const ref = { runId: m.runId };
    if (this.live.has(runKey(ref))) return; // a repeated assign of a run held already
    if (this.stopping) {
      this.conn.send({ type: 'job-rejected', ...ref, reason: 'the agent is stopping' });
      return;
    }
    if (this.state.pause) {
      this.conn.send({ type: 'job-rejected', ...ref, reason: 'node is paused' });
      return;
    }
    // Trust the head's packing only as far as this node's own count agrees.
    const capacity = capacityOf(this.capabilities);
    const share = jobShare(m.batch, m.spec);
    const usage = this.usage();
    const now = fits(capacity, usage, share);
    // A job in hand waits for room: one at a time, and only one this node could ever hold.
    const inHand = !now && m.ahead === true && canHold(capacity, share) && !this.state.runs.some((r) => r.state.phase === 'waiting');
    if (!now && !inHand) {
      this.conn.send({ type: 'job-rejected', ...ref, reason: usage.runs ? `busy: does not fit beside ${usage.runs} running ${usage.runs === 1 ? 'job' : 'jobs'}` : 'the job asks for more than this node offers' });
      return;
    }
    const run: PersistedRun = {
      batch: m.batch, spec: m.spec, runId: m.runId, runKey: m.runKey, attempt: m.attempt, state: { phase: 'waiting' }, startedAt: this.clock.now(), pausedMs: 0,
      whole: share === null, cores: share ? share.cpus : capacity.cpus, gpus: [],
    };
    this.state.runs.push(run);
    const l = this.track(run);
    // Not saved yet: the first save of the run is at its job's start, with the pid. A restarted
    // agent ends a build or job process that no saved run names (recover()), and the head, not
    // hearing of the run in the hello, gives the job to a node again, as for a run given up.
    if (now) this.claimRoom(run);
    this.changed();
    const room = now ? Promise.resolve() : new Promise<void>((resolve) => { l.wake = resolve; });
    l.done = room.then(() => {
      if (run.state.phase !== 'waiting') return this.execute(l);
      // Woken without its room: cancelled by the head (reported as killed), or handed back.
      return l.cancelled ? this.finishCancelled(l) : undefined;
    }).catch((err) => this.runFailed(run, err));
  }

  /** A job in hand, or just assigned, takes its room now: its GPUs are picked, it starts downloading. */
  private claimRoom(run: PersistedRun): void {
    const share = jobShare(run.batch, run.spec);
    const slots = freeGpuSlots(this.capabilities.gpus.length, this.state.runs.filter(occupies).map((r) => r.gpus ?? []));
    run.gpus = share ? slots.slice(0, share.gpus) : slots;
    moveRun(run, { phase: 'downloading' });
  }

  /**
   * Room may have freed (a job's processes ended, a run left, the pause ended): start the job in
   * hand when it fits now.
   */
  private startWaiting(): void {
    if (this.state.pause || this.stopping) return;
    const capacity = capacityOf(this.capabilities);
    for (const run of this.state.runs) {
      if (run.state.phase !== 'waiting') continue;
      const l = this.live.get(runKey(runRef(run)));
      if (!l?.wake || !fits(capacity, this.usage(), jobShare(run.batch, run.spec))) continue;
      run.startedAt = this.clock.now();
      this.claimRoom(run);
      l.wake();
      l.wake = undefined;
    }
  }

  /** Gives the job in hand back to the head (the node paused, or the agent stops). */
  private handBackWaiting(reason: string): void {
    for (const run of [...this.state.runs]) {
      if (run.state.phase !== 'waiting') continue;
      const l = this.live.get(runKey(runRef(run)));
      this.log(`handing ${run.batch.name}/${run.spec.name} (not started) back to the head: ${reason}`);
      this.conn.send({ type: 'job-rejected', ...runRef(run), reason, unstarted: true });
      this.untrack(run);
      l?.wake?.();
    }
  }

  /** The run could not go on (inputs missing, the head refused its results): hand it back. */
  private async runFailed(run: PersistedRun, err: unknown): Promise<void> {
    this.log(`run of ${run.batch.name}/${run.spec.name} failed: ${(err as Error).message}`);
    this.conn.send({ type: 'job-rejected', ...runRef(run), reason: (err as Error).message.slice(0, 500) });
    this.untrack(run);
    this.startWaiting();
    await this.save();
    this.changed();
  }

  // ---- running a job -------------------------------------------------------------------------

  /** Every core the node offers: what a run without a request, and a build step, gets. */
  private cores(): number {
    return capacityOf(this.capabilities).cpus;
  }

  /**
   * The batch's build step on this node, once: the first run of the batch runs it, runs that
   * arrive meanwhile wait for the same outcome.
   */
  private build(batch: PersistedRun['batch'], runId: string): Promise<BuildOutcome> {
    let pending = this.builds.get(batch.id);
    if (!pending) {
      pending = (async () => {
        await prepareBuild(this.ws, batch);
        return runBuildStep({
          batch, batchDir: this.ws.batchDir(batch.id), logDir: this.ws.runDir(batch.id, '_build', runId), cores: this.cores(),
          python: this.settings.python, paused: this.state.pause !== null,
          onProcess: (p: JobProcess | null, done?: JobProcess) => {
            if (p) this.buildProcs.add(p);
            if (done) this.buildProcs.delete(done);
          },
        });
      })();
      this.builds.set(batch.id, pending);
      const forget = () => { if (this.builds.get(batch.id) === pending) this.builds.delete(batch.id); };
      pending.then(forget, forget);
    }
    return pending;
  }

  private async execute(l: LiveRun): Promise<void> {
    const { run } = l;
    const { batch } = run;
    const ref = runRef(run);
    const used = await this.transfer.fetchInputs(run);
    const inputs = (this.state.inputs ??= {});
    inputs[batch.id] = [...new Set([...(inputs[batch.id] ?? []), ...used])];

    if (!this.state.built.includes(batch.id)) {
      moveRun(run, { phase: 'building' });
      this.changed();
      const first = !this.builds.has(batch.id);
      const built = await this.build(batch, run.runId);
      if (l.cancelled) return this.finishCancelled(l);
      if (!built.ok) {
        if (first) {
          this.log(`build of ${batch.name} failed: ${built.summary}`);
          this.conn.send({ type: 'build-failed', batchId: batch.id, log: built.log });
        }
        // The head re-queues every run of the batch it gave this node (a job in hand too).
        this.untrack(run);
        for (const other of [...this.state.runs]) {
          if (other.batch.id !== batch.id || other.state.phase !== 'waiting') continue;
          const waiting = this.live.get(runKey(runRef(other)));
          this.untrack(other);
          waiting?.wake?.();
        }
        this.startWaiting();
        await this.save();
        this.changed();
        return;
      }
      if (!this.state.built.includes(batch.id)) {
        this.state.built.push(batch.id);
        this.conn.send({ type: 'build-succeeded', batchId: batch.id });
      }
    }

    // The previous run's move out of this folder is on disk before anything can write into it.
    if (this.movedUnsaved) await this.save();
    const dirs = await prepareJobDirs(this.ws, run);
    // Cancelled while downloading or building: never start the job.
    if (l.cancelled) return this.finishCancelled(l);
    run.startedAt = this.clock.now();
    run.pausedMs = 0;
    const pinned = (run.gpus ?? []).map((i) => this.capabilities.gpus[i]).filter((g) => g !== undefined);
    // A run sharing the node sees only its own GPUs; a whole-node run sees what the node offers
    // (untouched environment unless --gpus narrowed the offer).
    const env = !run.whole || this.settings.gpus !== undefined ? gpuEnv(pinned) : undefined;
    const proc = this.deps.launcher.launch(run, dirs, { cores: run.cores ?? this.cores(), env, python: this.settings.python, onOutput: (s, c) => l.logs.push(s, c) });
    l.proc = proc;
    moveRun(run, { phase: 'running', pid: proc.pid, pgid: proc.pgid, pausedAt: null });
    await this.save();
    this.conn.send({ type: 'job-started', ...ref });
    // Paused while downloading or building: the job starts stopped and the head sees it paused.
    if (this.state.pause) {
      this.pauses.pauseJob(run, proc);
      await this.save();
    }
    this.changed();
    await this.supervise(l, proc);
  }

  private async supervise(l: LiveRun, proc: JobProcess): Promise<void> {
    const { run } = l;
    const exit = await proc.done;
    l.proc = null;
    l.logs.flush(runRef(run));
    // Ended while stopped (killed, cancelled): the stopped time is still not run time.
    this.pauses.jobEnded(run);
    if (l.handingBack) {
      // Killed on purpose (paused past the maximum, agent stopping): the head re-queues it.
      const reason = l.handingBack;
      l.handingBack = null;
      this.live.delete(runKey(runRef(run)));
      return this.reporter.handBack(run, reason);
    }
    if (l.cancelled) return this.finishCancelled(l);
    const endedAt = this.clock.now();
    // The results leave the working folder first: from job-exited on, the next job may start there.
    const bytes = await keepResults(this.ws, run);
    const exited = { result: toResult(exit), endedAt, runMs: runMs(run, endedAt), bytes };
    moveRun(run, { phase: 'uploading', exited });
    this.movedUnsaved = true;
    // Its share is free: the job in hand starts now, while this one's results go up.
    this.startWaiting();
    // Results small enough to go inside the report are reported at once: no upload to survive a
    // restart for (a restarted agent adopts the ended job again), and no job-exited ahead of it.
    if (this.inlineBytes === 0 || bytes > this.inlineBytes) {
      this.reportExited(run);
      await this.save();
    }
    this.changed();
    await this.uploadAndReport(run, exited);
  }

  /**
   * Tells the head that `run`'s processes ended (uploading or finished), so its share of the node
   * goes to the next job now; only to a head that takes `job-exited`.
   */
  private reportExited(run: PersistedRun): void {
    if (!this.exitReports || occupies(run)) return;
    const { state } = run;
    const bytes = state.phase === 'uploading' ? state.exited.bytes ?? 0 : state.phase === 'finished' ? state.finished.files.reduce((a, f) => a + f.size, 0) : 0;
    this.conn.send({ type: 'job-exited', ...runRef(run), bytes });
  }

  /** Upload the results of a run whose processes ended, then report it. */
  private async uploadAndReport(run: PersistedRun, exited: ExitedRun): Promise<void> {
    const { files, skipped, inline } = await this.upload(run, undefined, this.inlineBytes);
    const { bytes: _bytes, ...ended } = exited;
    moveRun(run, { phase: 'finished', finished: { ...ended, files, ...(skipped.length ? { skipped } : {}), ...(inline?.length ? { inline } : {}) } });
    // Written with the next save (the head's answer, or the next job's start) instead of on its
    // own: lost in a crash, the run is found uploading (or running and ended) and reported again.
    this.store.saveSoon();
    this.changed();
    await this.report(run);
  }

  /** Reports a finished run until the head answers, then forgets it. */
  private async report(run: PersistedRun): Promise<void> {
    await this.reporter.report(run);
    if (!this.state.runs.includes(run)) this.live.delete(runKey(runRef(run)));
  }

  /** Kills a run's job tree, SIGKILL after the configured grace. */
  private async killProc(l: LiveRun): Promise<void> {
    await l.proc?.kill(this.settings.killGraceMs ?? 5000);
  }

  private async finishCancelled(l: LiveRun): Promise<void> {
    const { run } = l;
    const endedAt = this.clock.now();
    moveRun(run, { phase: 'finished', finished: { result: { outcome: 'killed', signal: 'SIGTERM' }, endedAt, runMs: runMs(run, endedAt), files: [] } });
    l.cancelled = null;
    this.startWaiting();
    await this.save();
    await this.report(run);
  }

  /** Upload the results of `run` (with `only`, just those paths again); see result-upload.ts. */
  private async uploadAll(run: PersistedRun, only?: Set<string>): Promise<ResultFile[]> {
    return (await this.upload(run, only)).files;
  }

  private async upload(run: PersistedRun, only?: Set<string>, inlineBytes?: number): Promise<UploadedResults> {
    await this.untilEnrolled();
    return this.transfer.uploadResults(run, only, inlineBytes);
  }

  private async removeRunDir(run: PersistedRun): Promise<void> {
    await this.ws.retireRunDir(this.ws.runDirOf(run));
    if (run.whole === false) await removeTree(workDirOf(this.ws, run));
  }

  /** The time on the agent's clock (epoch ms). */
  now(): number {
    return this.clock.now();
  }

  // ---- pause (node-pause.ts) -----------------------------------------------------------------

  /** The longest pause this agent allows (ms). */
  get maxPauseMs(): number {
    return this.pauses.maxPauseMs;
  }

  /**
   * Pause this node for `durationMs` (null = until resumed), never longer than {@link maxPauseMs}.
   * Pausing a paused node replaces the end of the pause. A duration of zero or less resumes.
   */
  async pause(durationMs: number | null, reason: PauseReason = 'user'): Promise<AgentSnapshot> {
    await this.pauses.pause(durationMs, reason);
    // A job in hand would wait for the whole pause: another node runs it instead.
    if (this.state.pause) this.handBackWaiting('node is paused');
    return this.snapshot();
  }

  /** End the pause: continue the jobs (and builds) and take work again. */
  async resume(): Promise<AgentSnapshot> {
    await this.pauses.resume();
    this.startWaiting();
    return this.snapshot();
  }

  /** Resolves when the runs held now are over; for tests. */
  async idle(): Promise<void> {
    await Promise.all([...this.live.values()].map((l) => l.done));
  }
}
