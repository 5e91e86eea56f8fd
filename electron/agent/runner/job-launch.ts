/**
 * Starts a run's job process, or adopts the one a previous agent process left running. Both use
 * the same files in the run's directory ({@link jobFiles}), which is what lets a
 * restarted agent take over a job it did not start.
 */
import { jobCommand, jobEnv } from '../../../shared/job/command.ts';
import type { PersistedRun } from '../agent-store.ts';
import { adoptJobProcess, jobFiles, startJobProcess, type JobProcess, type OutputListener } from './job-process.ts';
import type { JobDirs } from './run-files.ts';

/** How the job runs on this node. */
export interface LaunchOptions {
  /** Cores the job was given: its request, or every core the node offers. */
  cores: number;
  /** More environment (GPU pinning). */
  env?: Record<string, string>;
  /** Python interpreter for python batches. */
  python?: string;
  onOutput: OutputListener;
}

/** Starts the job of `run` in its prepared directories. */
export function launchJob(run: PersistedRun, dirs: JobDirs, opts: LaunchOptions): JobProcess {
  const { batch, spec } = run;
  const { batchDir, runDir, inputDir, saveDir, mountDirs } = dirs;
  const cmd = jobCommand(batch, spec, { inputDir, saveDir, mountDirs }, { cores: opts.cores, python: opts.python });
  return startJobProcess({
    file: cmd.file, args: cmd.args, cwd: batchDir,
    env: { ...jobEnv({ batch: batch.name, namespace: batch.namespace, job: spec.name, cores: opts.cores }), ...opts.env },
    ...jobFiles(runDir), onOutput: opts.onOutput,
  });
}

/** Takes over a job process an earlier agent process started, from its pid, group and run directory. */
export function adoptJob(runDir: string, pid: number, pgid: number, onOutput: OutputListener): JobProcess {
  return adoptJobProcess({ pid, pgid, ...jobFiles(runDir), onOutput });
}

/** Starts and adopts job processes; the agent is given one (unit tests give it a fake). */
export interface JobLauncher {
  launch(run: PersistedRun, dirs: JobDirs, opts: LaunchOptions): JobProcess;
  adopt(runDir: string, pid: number, pgid: number, onOutput: OutputListener): JobProcess;
}

/** The real launcher: job processes as in job-process.ts. */
export const processLauncher: JobLauncher = { launch: launchJob, adopt: adoptJob };
