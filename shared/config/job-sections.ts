/**
 * The job sections: `python` and `apptainer` (the original tool's) and `shell` (ours). Each has an
 * `initialize` part (files and build step shared by all jobs) and a non-empty `jobs` list with
 * unique, folder-safe names.
 */
import type {
  ApptainerJob, ApptainerSection, FileRef, JobSection, PythonJob, PythonSection, Request, ShellJob, ShellSection, SlurmSettings,
} from './types.ts';
import type { Reporter, YamlPath } from './reporter.ts';
import { pathToString } from './reporter.ts';
import { isAbsent, isObj, readList, readMap, readName, readOptionalString, readString, type Obj } from './read-values.ts';
import { checkAliases, readFileList, readFileRef, type FileContext, type LocatedFile } from './file-refs.ts';
import { readRequest, readSlurm } from './meta-section.ts';

export const SECTION_KINDS = ['python', 'apptainer', 'shell'] as const;
export type SectionKind = (typeof SECTION_KINDS)[number];

/** What every kind of job has in common, read before the kind-specific keys. */
interface CommonJob {
  name: string;
  required_files: FileRef[];
  request?: Request;
  slurm?: SlurmSettings;
}

const JOB_KEYS: Record<SectionKind, readonly string[]> = {
  python: ['name', 'file', 'required_files', 'request', 'slurm'],
  apptainer: ['name', 'required_files', 'request', 'slurm'],
  shell: ['name', 'command', 'required_files', 'request', 'slurm'],
};
const JOB_REQUIRED: Record<SectionKind, readonly string[]> = {
  python: ['name', 'file'],
  apptainer: ['name'],
  shell: ['name', 'command'],
};
const INIT_KEYS: Record<SectionKind, readonly string[]> = {
  python: ['build_file', 'required_files'],
  apptainer: ['sif', 'required_files', 'required_mounts'],
  shell: ['build', 'required_files'],
};

/** Reads the section `kind`; undefined when anything in it is wrong (problems are recorded). */
export function readSection(ctx: FileContext, kind: SectionKind, value: unknown): JobSection | undefined {
  const { r } = ctx;
  const path: YamlPath = [kind];
  const before = r.problems.length;
  const map = readMap(r, path, value, ['initialize', 'jobs'], kind === 'apptainer' ? ['initialize', 'jobs'] : ['jobs']);
  if (!map) return undefined;

  const initPath: YamlPath = [kind, 'initialize'];
  // A missing `initialize` was reported by readMap already; optional ones may also be empty.
  const init: Obj = !('initialize' in map) || (isAbsent(map.initialize) && kind !== 'apptainer')
    ? {}
    : readMap(r, initPath, map.initialize, INIT_KEYS[kind], kind === 'apptainer' ? ['sif'] : []) ?? {};
  const initFiles = readFileList(ctx, [...initPath, 'required_files'], init.required_files);
  if (initFiles) checkAliases(r, [], initFiles);

  const jobs = readJobs(ctx, kind, map, initFiles ?? []);
  const initRefs = (initFiles ?? []).map((f) => f.ref);

  if (kind === 'python') {
    const build = isAbsent(init.build_file) ? undefined : readFileRef(ctx, [...initPath, 'build_file'], init.build_file);
    if (r.problems.length > before || !jobs) return undefined;
    const section: PythonSection = { kind, initialize: { required_files: initRefs }, jobs: jobs as PythonJob[] };
    if (build) section.initialize.build_file = build.ref;
    return section;
  }
  if (kind === 'apptainer') {
    const sif = 'sif' in init ? readFileRef(ctx, [...initPath, 'sif'], init.sif) : undefined;
    const mounts = readList(r, [...initPath, 'required_mounts'], init.required_mounts, 'container paths',
      (p, v) => readMount(r, p, v));
    if (r.problems.length > before || !jobs || !sif || !mounts) return undefined;
    const section: ApptainerSection = {
      kind, initialize: { sif: sif.ref, required_files: initRefs, required_mounts: mounts }, jobs: jobs as ApptainerJob[],
    };
    return section;
  }
  const build = readOptionalString(r, [...initPath, 'build'], init.build);
  if (build !== undefined && build.trim() === '') r.add([...initPath, 'build'], 'build command must not be empty');
  if (r.problems.length > before || !jobs) return undefined;
  const section: ShellSection = { kind, initialize: { required_files: initRefs }, jobs: jobs as ShellJob[] };
  if (build !== undefined) section.initialize.build = build;
  return section;
}

/** An apptainer mount target: an absolute container path that fits in `--bind src:dst,...`. */
function readMount(r: Reporter, path: YamlPath, value: unknown): string | undefined {
  const mount = readString(r, path, value);
  if (mount === undefined) return undefined;
  if (!mount.startsWith('/')) {
    r.add(path, `mount '${mount}' must be an absolute path inside the container`);
    return undefined;
  }
  if (/[,:]/.test(mount)) {
    r.add(path, `mount '${mount}' must not contain ',' or ':' (they separate apptainer --bind entries)`);
    return undefined;
  }
  if (mount.split('/').includes('..')) {
    r.add(path, `mount '${mount}' must not contain '..'`);
    return undefined;
  }
  return mount;
}

function readJobs(
  ctx: FileContext, kind: SectionKind, section: Obj, initFiles: readonly LocatedFile[],
): Array<PythonJob | ApptainerJob | ShellJob> | undefined {
  const { r } = ctx;
  const path: YamlPath = [kind, 'jobs'];
  if (!('jobs' in section)) return undefined; // reported as a missing required key
  if (section.jobs === null || (Array.isArray(section.jobs) && section.jobs.length === 0)) {
    r.add(path, 'a batch needs at least one job', { at: 'key' });
    return undefined;
  }
  const firstByName = new Map<string, YamlPath>();
  return readList(r, path, section.jobs, 'jobs', (jobPath, value) => {
    const job = readJob(ctx, kind, jobPath, value, initFiles);
    // Names are checked for duplicates even when the rest of the job is wrong.
    const name = job?.name ?? nameOf(value);
    if (name !== undefined) {
      const first = firstByName.get(name);
      if (first) {
        const line = r.lineOf([...first, 'name']);
        r.add([...jobPath, 'name'], `duplicate job name '${name}' (first used by ${pathToString(first)}${line === undefined ? '' : ` on line ${line}`})`);
        return undefined;
      }
      firstByName.set(name, jobPath);
    }
    return job;
  });
}

/** The job's name as written, when readable, without reporting anything again. */
function nameOf(value: unknown): string | undefined {
  if (isObj(value)) {
    const name = value.name;
    if (typeof name === 'string' || typeof name === 'number') return String(name);
  }
  return undefined;
}

function readJob(
  ctx: FileContext, kind: SectionKind, path: YamlPath, value: unknown, initFiles: readonly LocatedFile[],
): PythonJob | ApptainerJob | ShellJob | undefined {
  const { r } = ctx;
  const before = r.problems.length;
  const map = readMap(r, path, value, JOB_KEYS[kind], JOB_REQUIRED[kind]);
  if (!map) return undefined;
  const name = 'name' in map ? readName(r, [...path, 'name'], map.name, 'job name') : undefined;
  const files = readFileList(ctx, [...path, 'required_files'], map.required_files);
  // The job's files land in input/ beside the initialize files.
  if (files) checkAliases(r, initFiles, files);
  const slurm = isAbsent(map.slurm) ? undefined : readSlurm(r, [...path, 'slurm'], map.slurm);
  const request = isAbsent(map.request) ? undefined : readRequest(r, [...path, 'request'], map.request);

  let script: FileRef | undefined;
  let command: string | undefined;
  if (kind === 'python' && 'file' in map) {
    script = readFileRef(ctx, [...path, 'file'], map.file)?.ref;
  }
  if (kind === 'shell' && 'command' in map) {
    command = readString(r, [...path, 'command'], map.command);
    if (command !== undefined && command.trim() === '') r.add([...path, 'command'], 'command must not be empty');
  }
  if (r.problems.length > before || name === undefined || !files) return undefined;
  const common: CommonJob = { name, required_files: files.map((f) => f.ref) };
  if (request) common.request = request;
  if (slurm) common.slurm = slurm;
  if (kind === 'python') return { ...common, file: script as FileRef };
  if (kind === 'shell') return { ...common, command: command as string };
  return common;
}
