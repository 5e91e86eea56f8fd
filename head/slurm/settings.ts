/**
 * SLURM settings: merging batch-wide defaults with a job's overrides, grouping jobs whose effective
 * settings are equal (one job array per group), and rendering `#SBATCH` lines.
 */
import type { Resources, SlurmSettings } from '../../shared/config/types.ts';
import type { RequestSpec } from '../../shared/batch/spec.ts';

/** Config key → sbatch long option, in the order the lines are written. */
const OPTIONS: Array<[keyof SlurmSettings, string]> = [
  ['job_name', 'job-name'],
  ['output', 'output'],
  ['partition', 'partition'],
  ['account', 'account'],
  ['nodes', 'nodes'],
  ['ntasks', 'ntasks'],
  ['cpus_per_task', 'cpus-per-task'],
  ['mem_per_cpu', 'mem-per-cpu'],
  ['hint', 'hint'],
  ['time', 'time'],
  ['mail_user', 'mail-user'],
  ['mail_type', 'mail-type'],
  ['mincpus', 'mincpus'],
  ['mem', 'mem'],
  ['gres', 'gres'],
  ['gpus', 'gpus'],
  ['constraint', 'constraint'],
  ['exclusive', 'exclusive'],
];

/**
 * A distribute job is one process tree on one machine, so without settings a job asks for one
 * node and one task; everything else (time, memory, partition) is left to the cluster's defaults.
 */
export const DEFAULT_SETTINGS: SlurmSettings = { nodes: 1, ntasks: 1 };

/**
 * What a batch's `meta.resources` (minimums of a node) say in SLURM terms: `cpus` → `--mincpus`,
 * `memory_gb` → `--mem`, `gpus` → `--gres=gpu:N`. `gpu_memory_gb` has no portable SLURM option;
 * {@link unmappedResources} names it so the README says so.
 */
export function resourceSettings(resources: Resources): SlurmSettings {
  const out: SlurmSettings = {};
  if (resources.cpus) out.mincpus = Math.ceil(resources.cpus);
  if (resources.memory_gb) out.mem = memText(resources.memory_gb);
  if (resources.gpus) out.gres = `gpu:${resources.gpus}`;
  return out;
}

/** Resource keys the SLURM export cannot express (they are listed in README.txt, never dropped silently). */
export function unmappedResources(resources: Resources): string[] {
  return resources.gpu_memory_gb ? [`gpu_memory_gb: ${resources.gpu_memory_gb} (use slurm: constraint or gres with a GPU type instead)`] : [];
}

/**
 * What a request occupies, in SLURM terms: `--cpus-per-task`, `--mem`, `--gres=gpu:N`. A batch's
 * request (`whole`) stands for 1 core when it names none; a job's own request maps only the keys
 * it names, since it overrides the batch's key by key.
 */
export function requestSettings(request: RequestSpec | undefined, whole = true): SlurmSettings {
  if (!request) return {};
  const out: SlurmSettings = {};
  if (request.cpus !== undefined || whole) out.cpus_per_task = request.cpus ?? 1;
  if (request.memory_gb) out.mem = memText(request.memory_gb);
  if (request.gpus) out.gres = `gpu:${request.gpus}`;
  return out;
}

/** GiB as sbatch's `--mem` in MiB (whole MiB, rounded up so the job never gets less). */
function memText(gib: number): string {
  return `${Math.ceil(gib * 1024)}M`;
}

/**
 * Settings derived from resources and the request give way to what the user wrote: `--mem` goes
 * when `mem_per_cpu` is set (sbatch refuses both), a derived `--gres` when `gres` or `gpus` is set.
 */
export function withoutConflicts(merged: SlurmSettings, written: Array<SlurmSettings | undefined>): SlurmSettings {
  const out = { ...merged };
  const wrote = (key: keyof SlurmSettings) => written.some((w) => w?.[key] !== undefined);
  if (wrote('mem_per_cpu')) delete out.mem;
  if (wrote('gpus') && !wrote('gres')) delete out.gres;
  if (out.exclusive === false) delete out.exclusive;
  return out;
}

/** Defaults, then batch-wide settings, then the job's own: later keys win, `undefined` never does. */
export function mergeSettings(...layers: Array<SlurmSettings | undefined>): SlurmSettings {
  const out: SlurmSettings = {};
  for (const layer of layers) {
    if (!layer) continue;
    for (const [key] of OPTIONS) {
      const value = layer[key];
      if (value !== undefined) (out as Record<string, unknown>)[key] = value;
    }
  }
  return out;
}

/** A stable key for grouping: equal settings ⇔ equal keys. */
export function settingsKey(s: SlurmSettings): string {
  return JSON.stringify(OPTIONS.map(([key]) => s[key] ?? null));
}

/** Jobs that share effective settings, in the order their first job appears in the config. */
export interface SettingsGroup<J> {
  settings: SlurmSettings;
  jobs: J[];
}

/** Groups `items` by the key of their settings, keeping config order inside and across groups. */
export function groupBySettings<J>(items: Array<{ job: J; settings: SlurmSettings }>): Array<SettingsGroup<J>> {
  const groups = new Map<string, SettingsGroup<J>>();
  for (const { job, settings } of items) {
    const key = settingsKey(settings);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { settings, jobs: [] }));
    group.jobs.push(job);
  }
  return [...groups.values()];
}

/**
 * Why a settings value cannot go on an `#SBATCH` line (a line break would end the directive and
 * let the rest run as shell), or null when every value is fine.
 */
export function badSettingReason(s: SlurmSettings): string | null {
  for (const [key] of OPTIONS) {
    const value = s[key];
    if (value === undefined) continue;
    if (typeof value === 'boolean') continue;
    if (typeof value === 'number' && !(Number.isInteger(value) && value > 0)) return `${key} must be a positive integer, got ${value}`;
    if (typeof value === 'string' && /[\u0000-\u001f\u007f]/.test(value)) return `${key} must not contain line breaks or control characters`;
    if (typeof value === 'string' && value.trim() === '') return `${key} must not be empty`;
    if (typeof value === 'string' && value.includes('"')) return `${key} must not contain '"'`;
  }
  return null;
}

/**
 * `#SBATCH` lines for `s`. sbatch reads these lines itself (no shell), splitting on blanks unless a
 * value is double-quoted, so values with blanks are quoted.
 */
export function sbatchLines(s: SlurmSettings): string[] {
  const lines: string[] = [];
  for (const [key, option] of OPTIONS) {
    const value = s[key];
    if (value === undefined || value === false) continue;
    if (value === true) {
      lines.push(`#SBATCH --${option}`);
      continue;
    }
    const text = String(value);
    lines.push(`#SBATCH --${option}=${/\s/.test(text) ? `"${text}"` : text}`);
  }
  return lines;
}
