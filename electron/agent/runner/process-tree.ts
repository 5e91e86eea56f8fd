/**
 * The process tree of a job, read from Linux /proc, and signals sent to all of it.
 *
 * A job runs in its own process group, so `kill(-pgid)` reaches every process that stayed in the
 * group. Processes that left it (`setsid()`, daemonising tools, some MPI launchers) are found two
 * more ways: as descendants of the job's root process (the ppid links in /proc/<pid>/stat), and —
 * for ones whose parent already exited and that were re-parented to init — by a marker variable
 * in their environment (/proc/<pid>/environ, which children inherit). Only processes of our own
 * user can be read or signalled, which is exactly the set a job can create.
 *
 * Zombies (state `Z`) are dead; they are listed by /proc but never counted as alive.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** The fields of /proc/<pid>/stat we use. */
export interface ProcStat {
  pid: number;
  /** Command name (may contain spaces and parentheses). */
  comm: string;
  /** State letter: R running, S sleeping, D disk wait, T stopped, t traced, Z zombie, ... */
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  /** Start time in clock ticks since boot (orders processes by age). */
  starttime: number;
}

/** Identifies the processes of one job. */
export interface JobTree {
  /** The job's root process (the wrapper shell). */
  rootPid: number;
  /** The job's process group (equal to rootPid: the root is the group leader). */
  pgid: number;
  /** `NAME=value` present in the environment of every process of the job, if known. */
  marker?: string;
  /**
   * Start time (ticks) of the root: processes older than the job cannot belong to it, so their
   * environment is not read. Defaults to the root's, when the root is still there.
   */
  startedAt?: number;
}

/** Parses one /proc/<pid>/stat line; null when it is not in the expected shape. */
export function parseStat(line: string): ProcStat | null {
  // comm is in parentheses and may itself contain ') ', so split at the LAST ')'.
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const pid = Number(line.slice(0, open).trim());
  const rest = line.slice(close + 2).split(' ');
  // Fields after comm start at field 3 (state); starttime is field 22.
  const [state, ppid, pgrp, session, starttime] = [rest[0], Number(rest[1]), Number(rest[2]), Number(rest[3]), Number(rest[19])];
  if (!Number.isInteger(pid) || !state || !Number.isInteger(ppid) || !Number.isInteger(pgrp)) return null;
  return { pid, comm: line.slice(open + 1, close), state, ppid, pgrp, session, starttime: Number.isFinite(starttime) ? starttime : 0 };
}

/** Reads /proc/<pid>/stat; null when the process does not exist (or vanished while reading). */
export function readStat(pid: number): ProcStat | null {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/** The state letter of a process ('S', 'R', 'T', 'Z', ...), or null when it does not exist. */
export function processState(pid: number): string | null {
  return readStat(pid)?.state ?? null;
}

/** True when the process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  const state = processState(pid);
  return state !== null && state !== 'Z' && state !== 'X';
}

/** Every process currently in /proc. */
export function listProcesses(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat) out.push(stat);
  }
  return out;
}

/** All descendants of `pid` (children, grandchildren, ...), not including `pid` itself. */
export function listDescendants(pid: number, processes: ProcStat[] = listProcesses()): number[] {
  return descendantsOf([pid], processes).filter((p) => p !== pid);
}

function descendantsOf(roots: number[], processes: ProcStat[]): number[] {
  const children = new Map<number, number[]>();
  for (const p of processes) {
    const list = children.get(p.ppid);
    if (list) list.push(p.pid);
    else children.set(p.ppid, [p.pid]);
  }
  const seen = new Set<number>(roots);
  const queue = [...roots];
  while (queue.length > 0) {
    const next = queue.pop()!;
    for (const child of children.get(next) ?? []) {
      if (!seen.has(child)) {
        seen.add(child);
        queue.push(child);
      }
    }
  }
  return [...seen];
}

function hasMarker(pid: number, marker: string): boolean {
  try {
    // environ is NUL-separated; unreadable (other users) or vanished processes simply don't match.
    return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(marker);
  } catch {
    return false;
  }
}

/**
 * The live (non-zombie) processes whose environment sets `name` to a value starting with
 * `prefix`, by that value (their job marker). Processes of other users (environment unreadable),
 * this process and pid 1 are never listed.
 */
export function processesByMarker(name: string, prefix: string, processes: ProcStat[] = listProcesses()): Map<string, number[]> {
  const found = new Map<string, number[]>();
  const wanted = `${name}=${prefix}`;
  for (const p of processes) {
    if (p.pid <= 1 || p.pid === process.pid || p.state === 'Z' || p.state === 'X') continue;
    let entry: string | undefined;
    try {
      entry = readFileSync(`/proc/${p.pid}/environ`, 'latin1').split('\0').find((e) => e.startsWith(wanted));
    } catch {
      continue;
    }
    if (!entry) continue;
    const value = entry.slice(name.length + 1);
    const list = found.get(value);
    if (list) list.push(p.pid);
    else found.set(value, [p.pid]);
  }
  return found;
}

/**
 * Live (non-zombie) processes of a job: the root, members of its process group, processes
 * carrying its marker, all descendants of those, and members of any process group a job process
 * created (setsid/setpgid) — that catches children orphaned between two scans. Never includes
 * this process, its group or pid 1.
 */
export function findJobProcesses(tree: JobTree, processes: ProcStat[] = listProcesses()): number[] {
  const self = processes.find((p) => p.pid === process.pid);
  const startedAt = tree.startedAt ?? processes.find((p) => p.pid === tree.rootPid)?.starttime ?? 0;
  const roots = new Set<number>();
  for (const p of processes) {
    const marked = tree.marker !== undefined && p.starttime >= startedAt && hasMarker(p.pid, tree.marker);
    if (p.pid === tree.rootPid || p.pgrp === tree.pgid || marked) roots.add(p.pid);
  }
  let members = new Set(descendantsOf([...roots], processes));
  const groups = new Set(processes.filter((p) => members.has(p.pid)).map((p) => p.pgrp));
  groups.delete(self?.pgrp ?? -1);
  groups.delete(0);
  const grouped = processes.filter((p) => groups.has(p.pgrp) && !members.has(p.pid)).map((p) => p.pid);
  if (grouped.length > 0) members = new Set(descendantsOf([...members, ...grouped], processes));
  const live = new Set(processes.filter((p) => p.state !== 'Z' && p.state !== 'X').map((p) => p.pid));
  return [...members].filter((pid) => live.has(pid) && pid > 1 && pid !== process.pid);
}

function send(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch (err) {
    // ESRCH: already gone. EPERM: not ours (e.g. a reused pid), so not the job's either.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ESRCH' || code === 'EPERM') return false;
    throw err;
  }
}

/**
 * Sends `signal` to the job's process group and to every process of the job found in /proc,
 * repeating until a pass finds no process it has not signalled yet (a process may fork between
 * our scan and its signal; its child shows up in the next pass, and a stopped or killed parent
 * cannot fork again). Gone processes are ignored. Returns the pids that were signalled.
 */
export function signalTree(rootPid: number, pgid: number, signal: NodeJS.Signals, marker?: string, startedAt?: number): number[] {
  const tree: JobTree = { rootPid, pgid, marker, startedAt };
  const signalled = new Set<number>();
  for (let pass = 0; pass < 10; pass++) {
    // Scan before the first signal: once SIGKILL ends a parent, its children that left the
    // group are re-parented and no longer show up as descendants.
    const fresh = findJobProcesses(tree).filter((pid) => !signalled.has(pid));
    if (pass === 0 && pgid > 1) send(-pgid, signal);
    if (fresh.length === 0) break;
    for (const pid of fresh) {
      signalled.add(pid);
      send(pid, signal);
    }
  }
  return [...signalled];
}
