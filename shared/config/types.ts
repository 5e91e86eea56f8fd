/**
 * The batch config as the rest of the code sees it, after parsing and validation.
 *
 * Glossary:
 * - batch: one config file; a set of jobs of one kind (python, apptainer or shell) sharing an
 *   `initialize` step and files.
 * - namespace: groups batches in the archive (`<namespace>/<batch>/<job>/`).
 * - capability: a free-form tag a node must advertise to run the batch (`python3`, `gfortran`).
 * - resources: minimum detected hardware a node must have (cores, memory, GPUs).
 * - request: the share of a node one job occupies while it runs (cores, memory, GPUs); a node runs
 *   as many jobs as their requests fit. A job without a request occupies the whole node.
 */

/** A file named in a config: `path` is absolute after loading; `alias` is the name on the node. */
export interface FileRef {
  /** Absolute path on the submitting machine (relative paths are resolved against the config's folder). */
  path: string;
  /** File name in the job's `input/` folder (or batch folder for scripts); defaults to basename(path). */
  alias: string;
}

/** Minimum hardware a node must have to run the batch (`meta.resources`). All optional. */
export interface Resources {
  /** Physical CPU cores. */
  cpus?: number;
  /** Total memory in GiB. */
  memory_gb?: number;
  /** Number of GPUs. */
  gpus?: number;
  /** Memory of the largest GPU in GiB. */
  gpu_memory_gb?: number;
}

/**
 * What one job occupies on a node while it runs (`meta.request`, overridable per job key by key).
 * Absent keys: 1 core, no memory reservation, no GPU.
 */
export interface Request {
  /** Cores (whole cores; the job sees this number as `$DISTRIBUTE_CORES`). */
  cpus?: number;
  /** Memory in GiB reserved for the job. */
  memory_gb?: number;
  /** GPUs, each pinned to this job alone. */
  gpus?: number;
}

/** SLURM settings (batch-wide under top-level `slurm:`, overridable per job). */
export interface SlurmSettings {
  job_name?: string;
  output?: string;
  nodes?: number;
  ntasks?: number;
  cpus_per_task?: number;
  mem_per_cpu?: string;
  hint?: string;
  time?: string;
  partition?: string;
  account?: string;
  mail_user?: string;
  mail_type?: string;
  /** `--gres` (e.g. `gpu:a100:2`). */
  gres?: string;
  /** `--gpus` (e.g. `2` or `a100:2`). */
  gpus?: string;
  /** `--constraint` (node features, e.g. `avx512&ib`). */
  constraint?: string;
  /** `--exclusive`: the job gets whole nodes. */
  exclusive?: boolean;
  /** `--mem` (not a config key: the SLURM export derives it from `request.memory_gb` or `resources.memory_gb`). */
  mem?: string;
  /** `--mincpus` (not a config key: derived from `resources.cpus`). */
  mincpus?: number;
}

export interface Meta {
  batch_name: string;
  namespace: string;
  matrix?: string;
  capabilities: string[];
  resources: Resources;
  /** What each job occupies while it runs; absent = the whole node. */
  request?: Request;
  /** Times a job that failed or was lost is re-queued (default 0 for failures; lost jobs always re-run). */
  max_retries: number;
  description?: string;
  /** `lab` lets every user of the head read the batch's jobs, logs and files; default private (owner and admins). */
  share?: 'private' | 'lab';
}

export interface PythonJob {
  name: string;
  file: FileRef;
  required_files: FileRef[];
  /** Overrides `meta.request` key by key. */
  request?: Request;
  slurm?: SlurmSettings;
}

export interface ApptainerJob {
  name: string;
  required_files: FileRef[];
  /** Overrides `meta.request` key by key. */
  request?: Request;
  slurm?: SlurmSettings;
}

export interface ShellJob {
  name: string;
  /** A command line run with `/bin/sh -c` from the batch folder; `$DISTRIBUTE_CORES` holds the core count. */
  command: string;
  required_files: FileRef[];
  /** Overrides `meta.request` key by key. */
  request?: Request;
  slurm?: SlurmSettings;
}

export interface PythonSection {
  kind: 'python';
  initialize: { build_file?: FileRef; required_files: FileRef[] };
  jobs: PythonJob[];
}

export interface ApptainerSection {
  kind: 'apptainer';
  initialize: { sif: FileRef; required_files: FileRef[]; required_mounts: string[] };
  jobs: ApptainerJob[];
}

export interface ShellSection {
  kind: 'shell';
  /** `build` is a command line run once per node with `/bin/sh -c` before the batch's jobs. */
  initialize: { build?: string; required_files: FileRef[] };
  jobs: ShellJob[];
}

export type JobSection = PythonSection | ApptainerSection | ShellSection;

/** A validated batch config. */
export interface BatchConfig {
  /** Absolute path of the config file it was loaded from (or '<string>' when parsed from text). */
  source: string;
  meta: Meta;
  section: JobSection;
  slurm?: SlurmSettings;
}

/** One problem found in a config: where (YAML path + line) and what. */
export interface ConfigProblem {
  /** Dotted YAML path such as `python.jobs[3].file`; '' for the whole document. */
  path: string;
  /** 1-based line in the file, when known. */
  line?: number;
  message: string;
}

export type ConfigResult =
  | { ok: true; config: BatchConfig }
  | { ok: false; problems: ConfigProblem[] };
