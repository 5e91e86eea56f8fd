/**
 * The tray menu as a pure function of the agent snapshot. main.ts turns the model into an Electron
 * menu and maps each action id to a port call; everything a person reads in the menu is decided
 * here, where table tests can see it.
 */
import type { AgentSnapshot } from '../agent/agent-state.ts';
import { formatClock, formatDuration } from '../../shared/format.ts';

/** Every action a menu item can trigger; main.ts maps each to one call. */
export type ActionId =
  | 'pause-30m'
  | 'pause-1h'
  | 'pause-until-resumed'
  | 'resume'
  | 'open-status'
  | 'sync-results'
  | 'settings'
  | 'quit';

/** One menu row: text (maybe clickable) or a separator. */
export type MenuItemModel =
  | { type: 'normal'; label: string; enabled: boolean; action: ActionId | null }
  | { type: 'separator' };

/** The four looks of the tray icon. */
export type TrayState = 'idle' | 'running' | 'paused' | 'offline';

/** Tray-side state that is not part of the agent snapshot. */
export interface MenuOptions {
  /** A "Sync my results" run is in progress: the item reads so and is disabled. */
  syncing?: boolean;
  /** Zone for "paused until HH:MM"; undefined = the machine's zone. */
  timeZone?: string;
}

const CONNECTION_LABEL: Record<AgentSnapshot['connection'], string> = {
  connected: 'connected',
  connecting: 'connecting…',
  offline: 'offline',
};

/**
 * The icon state. Paused wins over everything because the owner's own pause is what they need to
 * see (and undo); offline wins over running because "not reporting to the head" is the thing to act on.
 */
export function trayState(snapshot: AgentSnapshot): TrayState {
  if (snapshot.pause) return 'paused';
  if (snapshot.connection !== 'connected') return 'offline';
  if (jobsOf(snapshot).length) return 'running';
  return 'idle';
}

type Job = NonNullable<AgentSnapshot['current']>;

/** Every job the node runs (snapshots of older agents carry only `current`). */
export function jobsOf(snapshot: AgentSnapshot): Job[] {
  return snapshot.jobs ?? (snapshot.current ? [snapshot.current] : []);
}

/**
 * Run time of a job (default: the first): wall time since start minus paused time. `pausedMs`
 * covers the pauses that already ended; a pause still going on is subtracted here, from its start
 * or the job's start, whichever is later.
 */
export function jobElapsedMs(snapshot: AgentSnapshot, now: number, job: Job | null = snapshot.current): number {
  if (!job) return 0;
  let paused = job.pausedMs;
  if (snapshot.pause) paused += Math.max(0, now - Math.max(snapshot.pause.since, job.startedAt));
  return Math.max(0, now - job.startedAt - paused);
}

function jobLabel(snapshot: AgentSnapshot, job: Job | null = snapshot.current): string | null {
  if (!job) return null;
  const phase = job.phase === 'running' ? '' : ` (${job.phase})`;
  return `${job.batch} / ${job.job}${phase}`;
}

/** What is left for more jobs, e.g. `Free: 3 cores, 12.5 GiB, 1 GPU`. */
export function freeLabel(snapshot: AgentSnapshot): string {
  const f = snapshot.free ?? { cpus: 0, memoryBytes: 0, gpus: 0 };
  const gb = Math.floor((f.memoryBytes / 1024 ** 3) * 10) / 10;
  return `Free: ${f.cpus} ${f.cpus === 1 ? 'core' : 'cores'}, ${gb} GiB, ${f.gpus} ${f.gpus === 1 ? 'GPU' : 'GPUs'}`;
}

function pauseLabel(snapshot: AgentSnapshot, timeZone: string | undefined): string | null {
  if (!snapshot.pause) return null;
  if (snapshot.pause.until === null) return 'Paused until resumed';
  return `Paused until ${formatClock(snapshot.pause.until, timeZone)}`;
}

/** Hover text of the tray icon: node, state, and the job if any. */
export function tooltip(snapshot: AgentSnapshot, now: number, options: MenuOptions = {}): string {
  const lines = [`distribute: ${snapshot.name} (${CONNECTION_LABEL[snapshot.connection]})`];
  const jobs = jobsOf(snapshot);
  for (const job of jobs) lines.push(`Job ${jobLabel(snapshot, job)}, ${formatDuration(jobElapsedMs(snapshot, now, job), { units: 2 })}`);
  if (!jobs.length) lines.push('No job');
  const pause = pauseLabel(snapshot, options.timeZone);
  if (pause) lines.push(pause);
  return lines.join('\n');
}

const text = (label: string): MenuItemModel => ({ type: 'normal', label, enabled: false, action: null });
const action = (label: string, id: ActionId, enabled = true): MenuItemModel => ({ type: 'normal', label, enabled, action: id });
const separator: MenuItemModel = { type: 'separator' };

/**
 * The tray menu, top to bottom: who and how connected, every job running (and the room left
 * beside them), the pause state, the pause
 * and resume actions, then status / sync / settings / quit. Pause items are disabled while paused
 * (a second pause would silently replace the first); Resume appears only while paused.
 */
export function buildMenuModel(snapshot: AgentSnapshot, now: number, options: MenuOptions = {}): MenuItemModel[] {
  const paused = snapshot.pause !== null;
  const items: MenuItemModel[] = [text(`${snapshot.name}: ${CONNECTION_LABEL[snapshot.connection]}`)];

  const jobs = jobsOf(snapshot);
  if (jobs.length === 1) {
    const job = jobs[0];
    items.push(text(`Job: ${jobLabel(snapshot, job)}`));
    items.push(text(`Owner ${job.owner}, running ${formatDuration(jobElapsedMs(snapshot, now, job), { units: 2 })}`));
  } else if (jobs.length > 1) {
    items.push(text(`${jobs.length} jobs running`));
    for (const job of jobs) {
      const share = job.cores ? `, ${job.cores} ${job.cores === 1 ? 'core' : 'cores'}` : '';
      items.push(text(`${jobLabel(snapshot, job)} (${job.owner}${share}), ${formatDuration(jobElapsedMs(snapshot, now, job), { units: 2 })}`));
    }
  } else {
    items.push(text('No job running'));
  }
  // Room for more jobs beside those running (a job with the whole node leaves none).
  if (jobs.length && snapshot.free && snapshot.free.cpus > 0) items.push(text(freeLabel(snapshot)));
  const pause = pauseLabel(snapshot, options.timeZone);
  if (pause) items.push(text(pause));

  items.push(separator);
  items.push(action('Pause 30 min', 'pause-30m', !paused));
  items.push(action('Pause 1 h', 'pause-1h', !paused));
  items.push(action('Pause until resumed', 'pause-until-resumed', !paused));
  if (paused) items.push(action('Resume', 'resume'));

  items.push(separator);
  items.push(action('Open status', 'open-status'));
  items.push(options.syncing ? action('Syncing results…', 'sync-results', false) : action('Sync my results', 'sync-results'));
  items.push(action('Settings…', 'settings'));
  items.push(separator);
  items.push(action('Quit', 'quit'));
  return items;
}

/** Pause length of each pause action; null = until resumed. */
export const PAUSE_DURATION_MS: Record<'pause-30m' | 'pause-1h' | 'pause-until-resumed', number | null> = {
  'pause-30m': 30 * 60_000,
  'pause-1h': 60 * 60_000,
  'pause-until-resumed': null,
};
