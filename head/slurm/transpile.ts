/**
 * `distribute slurm`: a batch config → the files of a self-contained folder for a SLURM cluster.
 * Pure: no file system access; files to copy are named by their absolute source path and
 * {@link writeSlurmFolder} does the I/O.
 *
 * Folder layout (why: each job must see the same run-time layout as on a distribute node, and jobs
 * of an array run concurrently, so each needs its own `input/` and `distribute_save/`):
 * ```
 * build/                  the batch folder of the build step: build file (or .sif) + input/
 * jobs/<job>/             one job's working folder: its script, input/ (initialize files, then
 *                         its own files, by alias); distribute_save/ is created at run time
 * run-build.sh            runs the build step in build/ (also works without SLURM)
 * run-job.sh JOB          links build/'s outputs into jobs/JOB/ and runs the job there
 * build.sbatch            the build step as a SLURM job
 * jobs-<n>.sbatch         one per group of jobs with equal SLURM settings (a job array when the
 *                         group has several jobs; jobs-<n>.txt maps array index → job name)
 * submit.sh               submits build.sbatch, then every jobs-<n>.sbatch with afterok on it
 * upload.sh               optional: rsync of this folder to the cluster
 * ```
 */
import { posix } from 'node:path';
import type { BatchConfig, ConfigProblem, FileRef, SlurmSettings } from '../../shared/config/types.ts';
import { unsafeNameReason } from '../../shared/names.ts';
import { INPUT_DIR } from '../../shared/job/command.ts';
import { badSettingReason, DEFAULT_SETTINGS, groupBySettings, mergeSettings, requestSettings, resourceSettings, withoutConflicts } from './settings.ts';
import { buildSbatch, jobsSbatch, readme, runBuildScript, runJobScript, submitScript, uploadScript } from './scripts.ts';

/** One file of the generated folder: text to write, or a config input to copy. */
export type OutFile =
  | { path: string; mode: number; content: string }
  | { path: string; mode: number; copyFrom: string };

export interface SlurmOptions {
  /** Python interpreter the scripts call (default `python3`). */
  python?: string;
  /** Container runtime for apptainer batches (default `apptainer`). */
  runtime?: 'apptainer' | 'singularity';
  /** `user@host:path` to rsync the folder to; writes `upload.sh`. */
  upload?: string;
  /** Largest job array to emit; bigger groups are split (SLURM's default MaxArraySize is 1001). */
  arrayLimit?: number;
}

/** One sbatch script of the plan. */
export interface SlurmScript {
  file: string;
  jobs: string[];
  array: boolean;
  settings: SlurmSettings;
}

export interface SlurmPlan {
  /** `build.sbatch`, or null when the batch has no build step. */
  build: string | null;
  scripts: SlurmScript[];
  files: OutFile[];
}

export type TranspileResult = { ok: true; plan: SlurmPlan } | { ok: false; problems: ConfigProblem[] };

/** Folder names inside the generated folder. */
export const BUILD_DIR = 'build';
export const JOBS_DIR = 'jobs';

const EXEC = 0o755;
const DATA = 0o644;

/** Transpiles `config` into the files of a SLURM folder, or the problems that prevent it. */
export function transpileSlurm(config: BatchConfig, options: SlurmOptions = {}): TranspileResult {
  const problems = check(config, options);
  if (problems.length > 0) return { ok: false, problems };
  const { meta, section } = config;
  const arrayLimit = options.arrayLimit ?? 1000;

  const files = new FileList();
  // The build step's batch folder: what a node's batch folder holds when the build runs.
  const initFiles = section.initialize.required_files;
  for (const f of initFiles) files.copy(posix.join(BUILD_DIR, INPUT_DIR, f.alias), f, DATA);
  if (section.kind === 'python' && section.initialize.build_file) files.copy(posix.join(BUILD_DIR, section.initialize.build_file.alias), section.initialize.build_file, DATA);
  if (section.kind === 'apptainer') files.copy(posix.join(BUILD_DIR, section.initialize.sif.alias), section.initialize.sif, DATA);

  for (const job of section.jobs) {
    const dir = posix.join(JOBS_DIR, job.name);
    // Initialize files first, then the job's own: a job file with the same alias wins, as on a node.
    for (const f of [...initFiles, ...job.required_files]) files.copy(posix.join(dir, INPUT_DIR, f.alias), f, DATA);
    if ('file' in job) files.copy(posix.join(dir, job.file.alias), job.file, DATA);
  }

  const hasBuild = (section.kind === 'python' && !!section.initialize.build_file) || (section.kind === 'shell' && !!section.initialize.build);
  const batchDefaults = mergeSettings(DEFAULT_SETTINGS, config.slurm);
  const build = hasBuild ? 'build.sbatch' : null;
  if (hasBuild) {
    files.text('run-build.sh', runBuildScript(config, options), EXEC);
    const settings = mergeSettings(batchDefaults, {
      job_name: `${config.slurm?.job_name ?? meta.batch_name}-build`,
      output: config.slurm?.output ?? 'logs/%x-%j.out',
    });
    files.text('build.sbatch', buildSbatch(config, settings), EXEC);
  }
  files.text('run-job.sh', runJobScript(config, options), EXEC);

  const scripts: SlurmScript[] = [];
  // Node minimums, then batch-wide request and slurm:, then the job's own request and slurm:: the
  // more specific level wins, and at one level what slurm: says beats what the request implies.
  const derived = mergeSettings(DEFAULT_SETTINGS, resourceSettings(meta.resources), requestSettings(meta.request), config.slurm);
  const groups = groupBySettings(section.jobs.map((job) => {
    const merged = mergeSettings(derived, requestSettings(job.request, !meta.request), job.slurm);
    return { job: job.name, settings: withoutConflicts(merged, [config.slurm, job.slurm]) };
  }));
  for (const group of groups) {
    for (let start = 0; start < group.jobs.length; start += arrayLimit) {
      const jobs = group.jobs.slice(start, start + arrayLimit);
      const n = scripts.length + 1;
      const array = jobs.length > 1;
      // job_name defaults to the job's name, or the batch's for an array of several jobs.
      const settings = mergeSettings(
        { job_name: array ? meta.batch_name : jobs[0], output: array ? 'logs/%x-%A_%a.out' : 'logs/%x-%j.out' },
        group.settings,
      );
      const file = `jobs-${n}.sbatch`;
      const list = array ? `jobs-${n}.txt` : null;
      if (list) files.text(list, jobs.join('\n') + '\n', DATA);
      files.text(file, jobsSbatch(config, settings, jobs, list), EXEC);
      scripts.push({ file, jobs, array, settings });
    }
  }

  files.text('submit.sh', submitScript(config, build, scripts), EXEC);
  if (options.upload) files.text('upload.sh', uploadScript(options.upload), EXEC);
  files.text('README.txt', readme(config, build, scripts, options), DATA);
  return { ok: true, plan: { build, scripts, files: files.list() } };
}

/** Output paths are unique; a later entry for the same path replaces the earlier one in place. */
class FileList {
  private readonly byPath = new Map<string, OutFile>();
  copy(path: string, from: FileRef, mode: number): void {
    this.byPath.set(path, { path, mode, copyFrom: from.path });
  }
  text(path: string, content: string, mode: number): void {
    this.byPath.set(path, { path, mode, content });
  }
  list(): OutFile[] {
    return [...this.byPath.values()];
  }
}

/** Problems the transpiler itself must refuse (the config loader catches most of them earlier). */
function check(config: BatchConfig, options: SlurmOptions): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const { section } = config;
  const key = section.kind;
  const name = (path: string, value: string): void => {
    const reason = unsafeNameReason(value);
    if (reason) problems.push({ path, message: reason });
  };
  name('meta.batch_name', config.meta.batch_name);
  if (section.jobs.length === 0) problems.push({ path: `${key}.jobs`, message: 'a batch needs at least one job' });
  const seen = new Set<string>();
  section.jobs.forEach((job, i) => {
    name(`${key}.jobs[${i}].name`, job.name);
    // apptainer's --bind list is split on ',' and ':', and the job folder is part of it.
    if (section.kind === 'apptainer' && /[,:]/.test(job.name)) problems.push({ path: `${key}.jobs[${i}].name`, message: `'${job.name}' must not contain ',' or ':' (it becomes part of an apptainer --bind list)` });
    if (seen.has(job.name)) problems.push({ path: `${key}.jobs[${i}].name`, message: `duplicate job name '${job.name}'` });
    seen.add(job.name);
    job.required_files.forEach((f, j) => name(`${key}.jobs[${i}].required_files[${j}].alias`, f.alias));
    const bad = job.slurm && badSettingReason(job.slurm);
    if (bad) problems.push({ path: `${key}.jobs[${i}].slurm`, message: bad });
  });
  section.initialize.required_files.forEach((f, j) => name(`${key}.initialize.required_files[${j}].alias`, f.alias));
  const bad = config.slurm && badSettingReason(config.slurm);
  if (bad) problems.push({ path: 'slurm', message: bad });
  if (options.upload !== undefined && !/^[^\s:/]+:\S.*$/.test(options.upload)) {
    problems.push({ path: '', message: `--upload must look like user@host:path, got '${options.upload}'` });
  }
  if (options.arrayLimit !== undefined && !(Number.isInteger(options.arrayLimit) && options.arrayLimit >= 1)) {
    problems.push({ path: '', message: 'arrayLimit must be a positive integer' });
  }
  return problems;
}
