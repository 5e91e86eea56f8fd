/**
 * A batch as it travels to the head: the validated config with every file replaced by its content
 * hash. The CLI builds it from a {@link BatchConfig}, uploads each distinct file once by sha256, and
 * agents download files by sha256 and lay them out by alias.
 */
import { z } from 'zod';
import { safeLabel, safeName } from '../name-schemas.ts';
import { SHA256_PATTERN } from '../api/routes.ts';
import { unsafeArgReason } from './arg-limits.ts';

export { MAX_ARG_BYTES, unsafeArgReason } from './arg-limits.ts';

/** A string that becomes a command or an argument (see {@link unsafeArgReason}). */
const argString = z.string().superRefine((value, ctx) => {
  const reason = unsafeArgReason(value);
  if (reason) ctx.addIssue({ code: 'custom', message: reason });
});

export const InputFileSchema = z.object({
  alias: safeName,
  sha256: z.string().regex(SHA256_PATTERN, 'expected a lowercase sha256 hex digest'),
  size: z.number().int().nonnegative(),
});
export type InputFile = z.infer<typeof InputFileSchema>;

export const ResourcesSchema = z.object({
  cpus: z.number().positive().optional(),
  memory_gb: z.number().positive().optional(),
  gpus: z.number().int().nonnegative().optional(),
  gpu_memory_gb: z.number().positive().optional(),
}).strict();

/** What one job occupies on a node while it runs (see shared/batch/request.ts). */
export const RequestSchema = z.object({
  cpus: z.number().int().positive().optional(),
  memory_gb: z.number().positive().optional(),
  gpus: z.number().int().nonnegative().optional(),
}).strict();
export type RequestSpec = z.infer<typeof RequestSchema>;

export const JobSpecSchema = z.object({
  name: safeName,
  /** python: the job's script (run as `python3 <alias> <cores>`). */
  script: InputFileSchema.optional(),
  /** shell: the command line run with `/bin/sh -c`. */
  command: argString.optional(),
  /** Files copied into the job's `input/` folder (after the initialize files). */
  files: z.array(InputFileSchema),
  /** The job's own request; overrides the batch's key by key. */
  request: RequestSchema.optional(),
}).strict();
export type JobSpec = z.infer<typeof JobSpecSchema>;

export const BatchSpecSchema = z.object({
  namespace: safeName,
  name: safeName,
  matrix: argString.optional(),
  kind: z.enum(['python', 'apptainer', 'shell']),
  capabilities: z.array(safeLabel),
  resources: ResourcesSchema,
  /** What each job occupies while it runs; absent = the whole node. */
  request: RequestSchema.optional(),
  maxRetries: z.number().int().min(0).max(100),
  /** Who may read the batch's jobs, logs and files: absent or `private` = owner and admins, `lab` = every user. */
  share: z.enum(['private', 'lab']).optional(),
  /** python: build_file, run once per node as `python3 <alias>`. */
  buildFile: InputFileSchema.optional(),
  /** shell: build command run once per node with `/bin/sh -c`. */
  buildCommand: argString.optional(),
  /** apptainer: the image. */
  sif: InputFileSchema.optional(),
  requiredMounts: z.array(argString).default([]),
  /** Files copied into every job's `input/` folder. */
  initFiles: z.array(InputFileSchema),
  jobs: z.array(JobSpecSchema).min(1),
}).strict();
export type BatchSpec = z.infer<typeof BatchSpecSchema>;

/** Every distinct input file of a batch (by sha256), for upload and download. */
export function distinctInputs(spec: BatchSpec): InputFile[] {
  const all: InputFile[] = [];
  if (spec.buildFile) all.push(spec.buildFile);
  if (spec.sif) all.push(spec.sif);
  all.push(...spec.initFiles);
  for (const job of spec.jobs) {
    if (job.script) all.push(job.script);
    all.push(...job.files);
  }
  const seen = new Map<string, InputFile>();
  for (const f of all) if (!seen.has(f.sha256)) seen.set(f.sha256, f);
  return [...seen.values()];
}
