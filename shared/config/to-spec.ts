/**
 * Turns a validated {@link BatchConfig} into the {@link BatchSpec} the head stores: every file is
 * replaced by its alias, sha256 and size. The caller (the `add` command) hashes the files listed by
 * {@link configFiles} first, then uploads each distinct sha256 once.
 */
import type { BatchSpec, InputFile, JobSpec } from '../batch/spec.ts';
import type { BatchConfig, FileRef, Request } from './types.ts';

/** Content hash of one local file. */
export interface FileHash {
  sha256: string;
  size: number;
}

/** Every distinct absolute path the batch needs, in config order (build file or image first). */
export function configFiles(config: BatchConfig): string[] {
  const { section } = config;
  const refs: FileRef[] = [];
  if (section.kind === 'python' && section.initialize.build_file) refs.push(section.initialize.build_file);
  if (section.kind === 'apptainer') refs.push(section.initialize.sif);
  refs.push(...section.initialize.required_files);
  for (const job of section.jobs) {
    if (section.kind === 'python') refs.push((job as { file: FileRef }).file);
    refs.push(...job.required_files);
  }
  return [...new Set(refs.map((f) => f.path))];
}

/**
 * Builds the spec. `hashes` maps each absolute path from {@link configFiles} to its hash; a missing
 * entry is a programming error and throws.
 */
export function configToSpec(config: BatchConfig, hashes: Map<string, FileHash>): BatchSpec {
  const input = (ref: FileRef): InputFile => {
    const hash = hashes.get(ref.path);
    if (!hash) throw new Error(`configToSpec: no hash for '${ref.path}'`);
    return { alias: ref.alias, sha256: hash.sha256, size: hash.size };
  };
  const { meta, section } = config;
  const spec: BatchSpec = {
    namespace: meta.namespace,
    name: meta.batch_name,
    kind: section.kind,
    capabilities: [...meta.capabilities],
    resources: { ...meta.resources },
    maxRetries: meta.max_retries,
    requiredMounts: [],
    initFiles: section.initialize.required_files.map(input),
    jobs: [],
  };
  if (meta.matrix !== undefined) spec.matrix = meta.matrix;
  if (meta.share !== undefined) spec.share = meta.share;
  if (meta.request !== undefined) spec.request = { ...meta.request };
  const withRequest = (job: JobSpec, request: Request | undefined): JobSpec => (request ? { ...job, request: { ...request } } : job);
  switch (section.kind) {
    case 'python':
      if (section.initialize.build_file) spec.buildFile = input(section.initialize.build_file);
      spec.jobs = section.jobs.map((j) => withRequest({ name: j.name, script: input(j.file), files: j.required_files.map(input) }, j.request));
      break;
    case 'apptainer':
      spec.sif = input(section.initialize.sif);
      spec.requiredMounts = [...section.initialize.required_mounts];
      spec.jobs = section.jobs.map((j) => withRequest({ name: j.name, files: j.required_files.map(input) }, j.request));
      break;
    case 'shell':
      if (section.initialize.build !== undefined) spec.buildCommand = section.initialize.build;
      spec.jobs = section.jobs.map((j) => withRequest({ name: j.name, command: j.command, files: j.required_files.map(input) }, j.request));
      break;
  }
  return spec;
}
