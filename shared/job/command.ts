/**
 * The command lines a node runs, in one place so the agent, `distribute run` and the SLURM
 * export agree. Everything runs from the node's batch folder, which holds the build file, the
 * job script, `input/` (initialize files + the job's files by alias) and `distribute_save/`.
 */

export interface CommandLine {
  /** Program to run (looked up on PATH unless absolute). */
  file: string;
  args: string[];
}

export interface CommandOptions {
  /** Physical cores of the node, passed to python jobs and apptainer images. */
  cores: number;
  /** Python interpreter (default `python3`). */
  python?: string;
  /** Container runtime for apptainer batches (`apptainer` or `singularity`). */
  apptainer?: string;
}

/** Folder names of the run-time layout, relative to the batch folder. */
export const INPUT_DIR = 'input';
export const SAVE_DIR = 'distribute_save';

/** The build step of a batch, or null when it has none. */
export function buildCommand(
  batch: { kind: 'python' | 'apptainer' | 'shell'; buildFile?: { alias: string }; buildCommand?: string },
  opts: CommandOptions,
): CommandLine | null {
  if (batch.kind === 'python' && batch.buildFile) return { file: opts.python ?? 'python3', args: [batch.buildFile.alias] };
  if (batch.kind === 'shell' && batch.buildCommand) return { file: '/bin/sh', args: ['-c', batch.buildCommand] };
  return null;
}

/**
 * The command of one job. `mountDirs` are absolute host folders bound to the batch's
 * `required_mounts` (same order), for apptainer.
 */
export function jobCommand(
  batch: { kind: 'python' | 'apptainer' | 'shell'; sif?: { alias: string }; requiredMounts?: string[] },
  job: { script?: { alias: string }; command?: string },
  paths: { inputDir: string; saveDir: string; mountDirs?: string[] },
  opts: CommandOptions,
): CommandLine {
  switch (batch.kind) {
    case 'python':
      if (!job.script) throw new Error('python job without a script');
      return { file: opts.python ?? 'python3', args: [job.script.alias, String(opts.cores)] };
    case 'shell':
      if (!job.command) throw new Error('shell job without a command');
      return { file: '/bin/sh', args: ['-c', job.command] };
    case 'apptainer': {
      if (!batch.sif) throw new Error('apptainer batch without a sif image');
      const binds = [`${paths.inputDir}:/input:rw`, `${paths.saveDir}:/distribute_save:rw`];
      (batch.requiredMounts ?? []).forEach((inside, i) => {
        const host = paths.mountDirs?.[i];
        if (host) binds.push(`${host}:${inside}:rw`);
      });
      return {
        file: opts.apptainer ?? 'apptainer',
        args: ['run', '--nv', '--app', 'distribute', '--bind', binds.join(','), batch.sif.alias, String(opts.cores)],
      };
    }
  }
}

/** Environment added to every job and build process. */
export function jobEnv(info: { batch: string; namespace: string; job?: string; cores: number }): Record<string, string> {
  const env: Record<string, string> = {
    DISTRIBUTE_BATCH: info.batch,
    DISTRIBUTE_NAMESPACE: info.namespace,
    DISTRIBUTE_CORES: String(info.cores),
  };
  if (info.job) env.DISTRIBUTE_JOB = info.job;
  return env;
}
