/**
 * The safety net that keeps a pause from outliving its end when the agent itself is gone.
 *
 * The agent ends a pause with its own timer; but the tray app (which hosts the agent) may crash or
 * be quit and never come back, and a SIGSTOPped job would then stay stopped forever. So every
 * pause of a running job also starts a tiny detached `/bin/sh` (its own session, so it outlives
 * the agent and its process group) that sleeps until the pause's hard end plus a grace and then
 * sends SIGCONT to the job's process group and to every process carrying the job's marker
 * variable (processes that left the group). The agent kills the watchdog when it resumes the job
 * itself, and a restarted agent kills the one its predecessor left.
 *
 * SIGCONT to a process that is not stopped does nothing, so a late or duplicate watchdog is harmless.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** argv[0] of the watchdog shell: how {@link stopPauseWatchdog} recognises it (never a reused pid). */
export const WATCHDOG_TAG = 'distribute-pause-watchdog';

// $0 tag, $1 seconds to sleep, $2 process group, $3 marker NAME=value (may be empty).
const SCRIPT = [
  'sleep "$1"',
  'kill -CONT "-$2" 2>/dev/null',
  '[ -n "$3" ] || exit 0',
  'for d in /proc/[0-9]*; do',
  '  if tr "\\000" "\\n" < "$d/environ" 2>/dev/null | grep -qxF -- "$3"; then kill -CONT "${d#/proc/}" 2>/dev/null; fi',
  'done',
].join('\n');

export interface WatchdogOptions {
  /** Process group of the job (its wrapper's pid). */
  pgid: number;
  /** `NAME=value` marker every process of the job carries ('' when unknown). */
  marker: string;
  /** Epoch ms when the job must be running again at the latest. */
  at: number;
  /** Extra wait after `at` so the agent's own timer normally wins (default 2 s). */
  graceMs?: number;
  now?: number;
}

/** Starts a watchdog; returns its pid (0 when it could not be started). */
export function startPauseWatchdog(opts: WatchdogOptions): number {
  if (opts.pgid <= 1) return 0;
  const seconds = Math.max(1, Math.ceil((opts.at - (opts.now ?? Date.now()) + (opts.graceMs ?? 2000)) / 1000));
  try {
    const child = spawn('/bin/sh', ['-c', SCRIPT, WATCHDOG_TAG, String(seconds), String(opts.pgid), opts.marker], {
      detached: true,
      stdio: 'ignore',
      // Not the job's environment: the watchdog must never match the marker itself.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    });
    child.on('error', () => undefined);
    child.unref();
    return child.pid ?? 0;
  } catch {
    return 0;
  }
}

/** True when `pid` is a watchdog we started (checked through /proc, so a reused pid is never hit). */
export function isPauseWatchdog(pid: number): boolean {
  if (pid <= 1) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').includes(WATCHDOG_TAG);
  } catch {
    return false;
  }
}

/** Stops a watchdog (its whole group: the shell and its `sleep`). Unknown or gone pids are ignored. */
export function stopPauseWatchdog(pid: number | undefined): void {
  if (!pid || !isPauseWatchdog(pid)) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // gone meanwhile
  }
}
