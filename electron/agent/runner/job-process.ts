/**
 * Runs one job (or build step) as a process tree the agent can pause, resume and kill, and whose
 * outcome survives an agent crash.
 *
 * How a job is started, and why:
 * - The command runs under a tiny `/bin/sh` wrapper that is the leader of a new session and
 *   process group (`detached: true`), so the whole job can be signalled as one group.
 * - The wrapper writes the job's exit status to `exitCodePath` when it ends (128+N when killed by
 *   signal N, as shells report it). A restarted agent reads it with {@link adoptJobProcess}.
 *   The wrapper traps SIGTERM/SIGINT/SIGHUP (traps are reset for the job it runs) so a kill
 *   still records the status; only SIGKILL of the wrapper loses it.
 * - A shell job (`/bin/sh -c CMD`) is its own wrapper: the one shell sets the same traps in front
 *   of CMD ({@link directShellScript}), so a trivial job costs one shell start-up instead of two
 *   (an exec costs ~0.6 ms of CPU on a VM, where the dynamic loader's `cpuid` probes trap to the
 *   hypervisor). The agent that started it takes the status from the process itself; the file is
 *   for an agent that adopts it after a restart. A CMD that mentions `exec` or `trap` could drop
 *   the recording traps, so it keeps the separate wrapper.
 * - stdout and stderr are opened as files and given to the job directly (not pipes through the
 *   agent), so the job keeps writing its logs while the agent is down and never blocks or gets
 *   SIGPIPE because the agent died. `onOutput` is fed by following those files (polling every
 *   100 ms); all output is delivered before `done` resolves.
 * - Every process of the job inherits `DISTRIBUTE_JOB_MARKER=<absolute exitCodePath>` so
 *   processes that left the group (setsid) and lost their parent are still found in /proc.
 * - A command that cannot be started (interpreter not on PATH, not executable, missing working
 *   folder) ends as `{ kind: 'spawn-failed' }`, never as a throw: the wrapper checks the program
 *   before running it and writes `spawn-failed: ...` instead of a number.
 *
 * Known limit: a job exiting on purpose with 129..192 is indistinguishable from death by signal
 * through a shell and is reported as `signaled` (the same thing any shell wrapper would report).
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, fstatSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { FileTail } from './file-tail.ts';
import { findJobProcesses, processesByMarker, readStat, signalTree, type JobTree } from './process-tree.ts';

/** How the job process ended. */
export type JobExit =
  | { kind: 'exited'; code: number }
  | { kind: 'signaled'; signal: string }
  | { kind: 'spawn-failed'; message: string };

/** A running (or finished) job process tree. */
export interface JobProcess {
  /** Pid of the wrapper shell (0 when the process could not be spawned at all). */
  readonly pid: number;
  /** Process group of the job (equal to pid). */
  readonly pgid: number;
  /** The environment marker `NAME=value` every process of the job carries. */
  readonly marker: string;
  /** Resolves once the job ended and all its output was delivered to onOutput. Never rejects. */
  readonly done: Promise<JobExit>;
  /** SIGSTOP to every process of the job, re-sent every `recheckMs` to catch late ones. */
  pause(): void;
  /** SIGCONT to every process of the job. */
  resume(): void;
  isPaused(): boolean;
  /**
   * SIGTERM to the whole tree (continuing it if paused), SIGKILL to whatever is left after
   * `graceMs`; resolves when no process of the job is alive, with the job's exit.
   */
  kill(graceMs?: number): Promise<JobExit>;
}

export type OutputListener = (stream: 'stdout' | 'stderr', chunk: string) => void;

export interface StartJobOptions {
  /** Program: a name looked up on PATH, or a path. */
  file: string;
  args: string[];
  cwd: string;
  /** Added to the agent's own environment (process.env). */
  env: Record<string, string>;
  /** Log files, appended to (created when missing; their folders must exist). */
  stdoutPath: string;
  stderrPath: string;
  /** Where the wrapper writes the exit status; removed before the start. */
  exitCodePath: string;
  onOutput?: OutputListener;
  /** Interval of the straggler re-check while paused (default 500 ms). */
  recheckMs?: number;
}

export interface AdoptJobOptions {
  pid: number;
  pgid: number;
  exitCodePath: string;
  stdoutPath: string;
  stderrPath: string;
  onOutput?: OutputListener;
  /** Follow the logs from their start instead of their current end (default 'end'). */
  tailFrom?: 'start' | 'end';
  /** How often to check whether the adopted wrapper still lives (default 200 ms). */
  pollMs?: number;
  recheckMs?: number;
}

/** The files a job process keeps in its log folder: its two logs and the exit status the wrapper writes. */
export interface JobFiles {
  stdoutPath: string;
  stderrPath: string;
  exitCodePath: string;
}

/**
 * The {@link JobFiles} in `dir`. Starting and adopting a job must agree on these names: a
 * restarted agent finds the job's output and exit status only through them.
 */
export function jobFiles(dir: string): JobFiles {
  return { stdoutPath: join(dir, 'stdout.log'), stderrPath: join(dir, 'stderr.log'), exitCodePath: join(dir, 'exit-code') };
}

/** Name of the environment variable that marks every process of a job. */
export const MARKER_VAR = 'DISTRIBUTE_JOB_MARKER';

const TAIL_MS = 100;

// $0 = exit code file, $1.. = the command. Checked before running so "not found" is unambiguous.
const WRAPPER = [
  'trap : TERM INT HUP',
  'case $1 in */*) [ -f "$1" ] && [ -x "$1" ];; *) command -v "$1" >/dev/null 2>&1;; esac || {',
  '  printf "spawn-failed: %s: not found or not executable\\n" "$1" > "$0"',
  '  printf "distribute: cannot run %s: not found or not executable\\n" "$1" >&2',
  '  exit 127',
  '}',
  '"$@"',
  'echo $? > "$0"',
].join('\n');

/** Single-quoted for /bin/sh: any text, read back literally. */
function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

/**
 * The script of a shell job that is its own wrapper, or null when `cmd` must run under the
 * separate wrapper (it mentions `exec`, which would replace the shell and its exit trap, or
 * `trap`, which could replace the traps). The traps go on CMD's first line, so the line numbers
 * in the shell's error messages stay CMD's own. A kill (SIGTERM, SIGINT, SIGHUP) ends the shell
 * with 128+N once its foreground command ended, as the wrapper records it; the EXIT trap writes
 * the status on every way out but SIGKILL.
 */
export function directShellScript(cmd: string, exitCodePath: string): string | null {
  if (/\b(exec|trap)\b/.test(cmd)) return null;
  const record = `echo $? > ${shellQuote(resolve(exitCodePath))}`;
  return `trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM; trap ${shellQuote(record)} EXIT; ${cmd}`;
}

/** The marker for a job, derived from its exit code file so an adopting agent can rebuild it. */
export function jobMarker(exitCodePath: string): string {
  return `${MARKER_VAR}=${resolve(exitCodePath)}`;
}

/**
 * Ends the build and job processes an earlier agent process started under `runsDir` (the
 * workspace's `runs/`) without recording them: every live process whose job marker names an
 * exit code file there that is not in `known` (the resolved exit code paths of every run the
 * state file names) and whose run folder still exists (a run acknowledged and removed may have
 * left a daemon on purpose). Returns each run folder with the number of processes ended.
 */
export function endUnrecordedJobs(runsDir: string, known: Set<string>): { dir: string; count: number }[] {
  const ended: { dir: string; count: number }[] = [];
  for (const exitCodePath of processesByMarker(MARKER_VAR, resolve(runsDir) + sep).keys()) {
    if (known.has(exitCodePath) || !existsSync(dirname(exitCodePath))) continue;
    const count = signalTree(-1, -1, 'SIGKILL', `${MARKER_VAR}=${exitCodePath}`, 0).length;
    if (count) ended.push({ dir: dirname(exitCodePath), count });
  }
  return ended;
}

/** Starts a job. Never throws for a job that cannot start: `done` resolves `spawn-failed`. */
export function startJobProcess(opts: StartJobOptions): JobProcess {
  const marker = jobMarker(opts.exitCodePath);
  // Looked at first: in a fresh run folder it is never there, and a failing unlink builds an error
  // with a stack trace (≈ 5 µs against 0.5 µs, once per job).
  if (existsSync(opts.exitCodePath)) {
    try {
      unlinkSync(opts.exitCodePath);
    } catch {
      // not a file we can remove: the job's status is then taken from the process itself or lost as before
    }
  }
  let outFd: number | null = null;
  let errFd: number | null = null;
  try {
    outFd = openSync(opts.stdoutPath, 'a');
    errFd = openSync(opts.stderrPath, 'a');
  } catch (err) {
    if (outFd !== null) closeSync(outFd);
    return failed(marker, `cannot open log file: ${(err as Error).message}`);
  }
  const outFrom = fstatSync(outFd).size;
  const errFrom = fstatSync(errFd).size;

  // spawn() throws synchronously for what the kernel or Node refuse outright (a NUL byte in an
  // argument, E2BIG for an oversized command line): nothing is left open then (the log fds are
  // closed in `finally`, the tails are only started after a successful spawn), and the job ends
  // spawn-failed with the reason in its stderr log.
  const direct = opts.file === '/bin/sh' && opts.args.length === 2 && opts.args[0] === '-c' ? directShellScript(opts.args[1], opts.exitCodePath) : null;
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn('/bin/sh', direct !== null ? ['-c', direct] : ['-c', WRAPPER, resolve(opts.exitCodePath), opts.file, ...opts.args], {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env, [MARKER_VAR]: marker.slice(MARKER_VAR.length + 1) },
      detached: true,
      stdio: ['ignore', outFd, errFd],
    });
  } catch (err) {
    const message = spawnErrorMessage(err as NodeJS.ErrnoException);
    try {
      writeSync(errFd, `distribute: cannot start the job: ${message}\n`);
    } catch {
      // the reason still reaches the result
    }
    return failed(marker, message);
  } finally {
    closeSync(outFd);
    closeSync(errFd);
  }
  const tails = makeTails(opts.stdoutPath, outFrom, opts.stderrPath, errFrom, opts.onOutput);

  const wrapperEnded = new Promise<JobExit>((settle) => {
    child.once('error', (err) => {
      const missingCwd = (err as NodeJS.ErrnoException).code === 'ENOENT' && !exists(opts.cwd);
      settle({ kind: 'spawn-failed', message: missingCwd ? `working folder ${opts.cwd} does not exist` : err.message });
    });
    child.once('exit', (code, signal) => settle(direct !== null ? exitOf(code, signal) : readExitStatus(opts.exitCodePath, { code, signal })));
  });
  const pid = child.pid ?? 0;
  return makeJobProcess({ rootPid: pid, pgid: pid, marker }, wrapperEnded, tails, opts.recheckMs);
}

/**
 * Takes over a job started by an earlier agent process (after a crash or restart). The job is
 * continued right away (SIGCONT to the tree): a job is never left stopped by a dead agent; the
 * caller re-applies a pause if its rules say so. `done` resolves once the wrapper is gone, from
 * the exit code file; without that file (wrapper SIGKILLed) it is `signaled` with signal `unknown`.
 */
export function adoptJobProcess(opts: AdoptJobOptions): JobProcess {
  const marker = jobMarker(opts.exitCodePath);
  const tree: JobTree = { rootPid: opts.pid, pgid: opts.pgid, marker };
  const from = (path: string) => (opts.tailFrom === 'start' ? 0 : sizeOf(path));
  const tails = makeTails(opts.stdoutPath, from(opts.stdoutPath), opts.stderrPath, from(opts.stderrPath), opts.onOutput);
  signalTree(tree.rootPid, tree.pgid, 'SIGCONT', marker);

  const wrapperEnded = new Promise<JobExit>((settle) => {
    const check = () => {
      const stat = readStat(opts.pid);
      // Not ours any more when gone, a zombie (its new parent may never reap it) or a reused pid.
      const alive = stat !== null && stat.state !== 'Z' && stat.state !== 'X' && stat.pgrp === opts.pgid;
      if (alive) return;
      clearInterval(timer);
      settle(readExitStatus(opts.exitCodePath, { code: null, signal: null }));
    };
    const timer = setInterval(check, opts.pollMs ?? 200);
    check();
  });
  return makeJobProcess(tree, wrapperEnded, tails, opts.recheckMs);
}

/**
 * Turns the exit code file (and, when known, how the wrapper itself ended) into a JobExit.
 * The file wins: it holds the job's own status.
 */
export function readExitStatus(
  exitCodePath: string,
  wrapper: { code: number | null; signal: NodeJS.Signals | null },
): JobExit {
  let text: string | null = null;
  try {
    text = readFileSync(exitCodePath, 'utf8').trim();
  } catch {
    // missing: fall back to the wrapper's own status
  }
  if (text?.startsWith('spawn-failed')) return { kind: 'spawn-failed', message: text.replace(/^spawn-failed:\s*/, '') };
  if (text && /^\d+$/.test(text)) return exitOf(Number(text), null);
  if (wrapper.signal) return { kind: 'signaled', signal: wrapper.signal };
  if (wrapper.code !== null && wrapper.code !== 0) return { kind: 'exited', code: wrapper.code };
  return { kind: 'signaled', signal: 'unknown' };
}

/**
 * A shell's exit status as a JobExit: 128+N is death by signal N, as shells report it; the
 * process's own status when the agent is its parent (a shell job that is its own wrapper).
 */
function exitOf(code: number | null, signal: NodeJS.Signals | null): JobExit {
  if (signal) return { kind: 'signaled', signal };
  if (code === null) return { kind: 'signaled', signal: 'unknown' };
  const name = code > 128 ? signalName(code - 128) : null;
  return name ? { kind: 'signaled', signal: name } : { kind: 'exited', code };
}

/** Signal names by number, built once (walking os.constants.signals cost ~14 µs per ended job). */
let signalNames: Map<number, string> | null = null;

function signalName(n: number): string | null {
  signalNames ??= new Map(Object.entries(constants.signals).map(([name, num]) => [num, name]));
  return signalNames.get(n) ?? null;
}

function makeJobProcess(tree: JobTree, wrapperEnded: Promise<JobExit>, tails: FileTail[], recheckMs = 500): JobProcess {
  let paused = false;
  let finished = false;
  let recheck: NodeJS.Timeout | null = null;
  let killing: Promise<JobExit> | null = null;
  const valid = tree.pgid > 1;
  // Remember the root's start time now: after the root exits, stragglers are still found by
  // marker, and older processes are skipped without reading their environment.
  tree.startedAt ??= valid ? readStat(tree.rootPid)?.starttime : undefined;
  const signal = (sig: NodeJS.Signals) => {
    if (valid) signalTree(tree.rootPid, tree.pgid, sig, tree.marker, tree.startedAt);
  };
  const stopRecheck = () => {
    if (recheck) clearInterval(recheck);
    recheck = null;
  };

  const done = wrapperEnded.then(async (exit) => {
    finished = true;
    stopRecheck();
    // Both logs at once: the next job on this node waits for this.
    await Promise.all(tails.map((tail) => tail.stop().catch(() => undefined)));
    return exit;
  });

  const aliveCount = () => (valid ? findJobProcesses(tree).length : 0);

  async function killTree(graceMs: number): Promise<JobExit> {
    stopRecheck();
    paused = false;
    // A stopped process only acts on SIGTERM once continued.
    signal('SIGTERM');
    signal('SIGCONT');
    if (!(await waitUntil(() => aliveCount() === 0, graceMs))) {
      // SIGKILL until nothing is left; a process in uninterruptible sleep may take a moment.
      await waitUntil(() => {
        signal('SIGKILL');
        return aliveCount() === 0;
      }, 10_000);
    }
    return done;
  }

  return {
    pid: tree.rootPid,
    pgid: tree.pgid,
    marker: tree.marker ?? '',
    done,
    pause() {
      if (paused || finished) return;
      paused = true;
      signal('SIGSTOP');
      recheck = setInterval(() => signal('SIGSTOP'), recheckMs);
    },
    resume() {
      if (!paused) return;
      paused = false;
      stopRecheck();
      signal('SIGCONT');
    },
    isPaused: () => paused,
    kill(graceMs = 5000) {
      killing ??= killTree(graceMs);
      return killing;
    },
  };
}

function makeTails(outPath: string, outFrom: number, errPath: string, errFrom: number, onOutput?: OutputListener): FileTail[] {
  if (!onOutput) return [];
  const tails = [
    new FileTail(outPath, outFrom, (text) => onOutput('stdout', text)),
    new FileTail(errPath, errFrom, (text) => onOutput('stderr', text)),
  ];
  for (const tail of tails) tail.start(TAIL_MS);
  return tails;
}

/** A readable reason for an error spawn() threw, without echoing a huge or binary command. */
function spawnErrorMessage(err: NodeJS.ErrnoException): string {
  if (err.code === 'E2BIG') return 'the command line is too long for the operating system (E2BIG)';
  if (err.code === 'ERR_INVALID_ARG_VALUE' && /null bytes/.test(err.message)) return 'the command contains a NUL byte';
  return `${err.code ?? 'error'}: ${err.message.slice(0, 300)}`;
}

function failed(marker: string, message: string): JobProcess {
  return makeJobProcess({ rootPid: 0, pgid: 0, marker }, Promise.resolve({ kind: 'spawn-failed', message }), []);
}

/** Polls `check` every 50 ms until it is true (→ true) or `timeoutMs` passed (→ false). */
async function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (check()) return true;
    if (Date.now() >= end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}
