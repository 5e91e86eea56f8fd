/**
 * The tray's settings: one JSON file in Electron's userData folder. Parsing and serializing are
 * pure and report every problem at once as values (path + message), so the settings window can
 * show them beside the fields; the two small I/O helpers at the bottom read and write the file.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { AgentSettings } from '../agent/agent-port.ts';
import { parseGpuList } from '../agent/offer.ts';

/** Where relative defaults come from; injected so parsing stays pure. */
export interface SettingsEnv {
  /** The user's home folder (os.homedir()). */
  home: string;
  /** Electron's app.getPath('userData'). */
  userData: string;
}

/** Valid, complete tray settings (every default filled in, every path absolute). */
export interface TraySettings {
  headUrl: string;
  /** Join token of the agent (the head's agent-token). */
  token: string;
  /** The user's own token on the head (`distribute user add NAME`): for notifications and sync. */
  userToken?: string;
  workdir: string;
  /** Node name; absent = the agent picks (the host name). */
  name?: string;
  tags: string[];
  /** Cores offered to jobs (absent: every core), like `distribute agent --cpus`. */
  cpus?: number;
  /** Memory offered to jobs in GiB (absent: all of it), like `--memory-gb`. */
  memoryGb?: number;
  /** GPUs offered to jobs: `0,1` or `none` (absent: all), like `--gpus`. */
  gpus?: string;
  /** The user's account name on the head: whose batches to notify about. */
  user?: string;
  notifications: boolean;
  autoPause: { enabled: boolean; activeWithinMinutes: number; resumeAfterIdleMinutes: number };
  resultsDir: string;
  startAtLogin: boolean;
  /** Which icon set: follow the desktop theme, or force icons for a light or dark panel. */
  trayTheme: 'auto' | 'light' | 'dark';
}

export interface SettingsError {
  /** Dotted path of the field, '' for the whole file. */
  path: string;
  message: string;
}

export type SettingsResult = { ok: true; settings: TraySettings } | { ok: false; errors: SettingsError[] };

/** The default results folder, before `~` expansion. */
export const DEFAULT_RESULTS_DIR = '~/distribute-results';

const headUrl = z.string().trim().refine((value) => {
  try {
    return ['http:', 'https:', 'ws:', 'wss:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}, 'must be a URL starting with http://, https://, ws:// or wss://');

/** Paths may start with `~`; anything else must be absolute (a tray has no meaningful cwd). */
const userPath = z.string().trim().min(1, 'must not be empty').refine(
  (value) => value === '~' || value.startsWith('~/') || path.isAbsolute(value),
  'must be an absolute path (or start with ~/)',
);

const minutes = z.number().int('must be a whole number of minutes').min(1, 'must be at least 1 minute').max(24 * 60, 'must be at most 1440 minutes');

const SettingsSchema = z.object({
  headUrl,
  token: z.string().trim().min(1, 'must not be empty'),
  userToken: z.string().trim().min(1).optional(),
  workdir: userPath.optional(),
  name: z.string().trim().min(1).max(200).optional(),
  tags: z.array(z.string().trim().min(1, 'tags must not be empty').regex(/^\S+$/, 'a tag must not contain spaces')).default([]),
  cpus: z.number().int('must be a whole number of cores').min(1, 'must be at least 1 core').optional(),
  memoryGb: z.number().positive('must be a positive number of GiB').optional(),
  gpus: z.string().trim().refine((v) => parseGpuList(v).ok, 'must list GPU numbers like 0,1 (or none)').optional(),
  user: z.string().trim().min(1).optional(),
  notifications: z.boolean().default(true),
  autoPause: z.object({
    enabled: z.boolean().default(false),
    activeWithinMinutes: minutes.default(2),
    resumeAfterIdleMinutes: minutes.default(10),
  }).strict().refine((a) => a.resumeAfterIdleMinutes >= a.activeWithinMinutes, {
    message: 'resumeAfterIdleMinutes must be at least activeWithinMinutes, or the pause would flap',
    path: ['resumeAfterIdleMinutes'],
  }).default({ enabled: false, activeWithinMinutes: 2, resumeAfterIdleMinutes: 10 }),
  resultsDir: userPath.default(DEFAULT_RESULTS_DIR),
  startAtLogin: z.boolean().default(false),
  trayTheme: z.enum(['auto', 'light', 'dark']).default('auto'),
}).strict();

function expandHome(value: string, home: string): string {
  if (value === '~') return home;
  if (value.startsWith('~/')) return path.join(home, value.slice(2));
  return value;
}

/** Validate a settings object (the parsed file, or what the settings window sends). */
export function parseSettingsObject(input: unknown, env: SettingsEnv): SettingsResult {
  const parsed = SettingsSchema.safeParse(input);
  if (!parsed.success) {
    return {
      ok: false,
      errors: parsed.error.issues.map((issue) => {
        const where = issue.path.map(String).join('.');
        const keys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
        return { path: where, message: `${issue.message}${keys}` };
      }),
    };
  }
  const data = parsed.data;
  const settings: TraySettings = {
    headUrl: data.headUrl,
    token: data.token,
    workdir: expandHome(data.workdir ?? path.join(env.userData, 'work'), env.home),
    tags: [...new Set(data.tags)],
    notifications: data.notifications,
    autoPause: data.autoPause,
    resultsDir: expandHome(data.resultsDir, env.home),
    startAtLogin: data.startAtLogin,
    trayTheme: data.trayTheme,
  };
  if (data.name !== undefined) settings.name = data.name;
  if (data.user !== undefined) settings.user = data.user;
  if (data.userToken !== undefined) settings.userToken = data.userToken;
  if (data.cpus !== undefined) settings.cpus = data.cpus;
  if (data.memoryGb !== undefined) settings.memoryGb = data.memoryGb;
  if (data.gpus !== undefined) settings.gpus = data.gpus;
  return { ok: true, settings };
}

/** Parse the settings file's text. */
export function parseSettings(text: string, env: SettingsEnv): SettingsResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, errors: [{ path: '', message: `not valid JSON: ${(err as Error).message}` }] };
  }
  return parseSettingsObject(json, env);
}

/** The file's text for `settings`: stable key order, two-space indent, trailing newline. */
export function serializeSettings(settings: TraySettings): string {
  const ordered: Record<string, unknown> = {
    headUrl: settings.headUrl,
    token: settings.token,
    userToken: settings.userToken,
    workdir: settings.workdir,
    name: settings.name,
    tags: settings.tags,
    cpus: settings.cpus,
    memoryGb: settings.memoryGb,
    gpus: settings.gpus,
    user: settings.user,
    notifications: settings.notifications,
    autoPause: settings.autoPause,
    resultsDir: settings.resultsDir,
    startAtLogin: settings.startAtLogin,
    trayTheme: settings.trayTheme,
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

/** What the settings window shows before a file exists: defaults, with head URL and token empty. */
export function draftSettings(env: SettingsEnv): Omit<TraySettings, 'headUrl' | 'token'> & { headUrl: string; token: string } {
  return {
    headUrl: '',
    token: '',
    workdir: path.join(env.userData, 'work'),
    tags: [],
    notifications: true,
    autoPause: { enabled: false, activeWithinMinutes: 2, resumeAfterIdleMinutes: 10 },
    resultsDir: expandHome(DEFAULT_RESULTS_DIR, env.home),
    startAtLogin: false,
    trayTheme: 'auto',
  };
}

/** The part of the settings the agent core is started with. */
export function agentSettings(settings: TraySettings): AgentSettings {
  const out: AgentSettings = { headUrl: settings.headUrl, token: settings.token, workdir: settings.workdir, tags: settings.tags };
  if (settings.name !== undefined) out.name = settings.name;
  if (settings.user !== undefined) out.owner = settings.user;
  // What the node offers to jobs: the same limits as `distribute agent --cpus/--memory-gb/--gpus`.
  if (settings.cpus !== undefined) out.cpus = settings.cpus;
  if (settings.memoryGb !== undefined) out.memoryGb = settings.memoryGb;
  if (settings.gpus !== undefined) {
    const gpus = parseGpuList(settings.gpus);
    if (gpus.ok) out.gpus = gpus.value;
  }
  return out;
}

/** Path of the settings file inside the userData folder. */
export function settingsFilePath(userData: string): string {
  return path.join(userData, 'settings.json');
}

/** Read and validate the settings file; `missing` tells a first run from a broken file. */
export async function readSettingsFile(file: string, env: SettingsEnv): Promise<SettingsResult | { ok: false; missing: true; errors: SettingsError[] }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ok: false, missing: true, errors: [{ path: '', message: `${file} does not exist yet` }] };
    return { ok: false, errors: [{ path: '', message: `cannot read ${file}: ${(err as Error).message}` }] };
  }
  return parseSettings(text, env);
}

/**
 * Write the settings file readable only by the user (it holds the token), through a temporary file
 * and a rename so a crash never leaves half a file.
 */
export async function writeSettingsFile(file: string, settings: TraySettings): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, serializeSettings(settings), { mode: 0o600 });
  await rename(tmp, file);
}
