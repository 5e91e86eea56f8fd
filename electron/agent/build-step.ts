/**
 * A batch's build step on this node: run once, from the batch folder, before the batch's first
 * job here. Its failure is a value carrying the tail of its logs, which the head shows.
 */
import fs from 'node:fs/promises';
import { buildCommand, jobEnv } from '../../shared/job/command.ts';
import type { BatchHeader } from '../../shared/protocol/messages.ts';
import { describeExit, jobFiles, type JobProcess, readTail, startJobProcess } from './runner/index.ts';

export type BuildOutcome = { ok: true } | { ok: false; summary: string; log: string };

export interface BuildOptions {
  batch: BatchHeader;
  batchDir: string;
  /** Where the build's stdout, stderr and exit code go. */
  logDir: string;
  cores: number;
  python?: string;
  /** Start the build stopped (the node is paused). */
  paused: boolean;
  /** Told about the process when it starts (so pause reaches it), and again with `ended` when it is over. */
  onProcess: (proc: JobProcess | null, ended?: JobProcess) => void;
}

export async function runBuildStep(opts: BuildOptions): Promise<BuildOutcome> {
  const { batch } = opts;
  const cmd = buildCommand(batch, { cores: opts.cores, python: opts.python });
  if (!cmd) return { ok: true };
  await fs.mkdir(opts.logDir, { recursive: true });
  const files = jobFiles(opts.logDir);
  const proc = startJobProcess({
    file: cmd.file, args: cmd.args, cwd: opts.batchDir,
    env: jobEnv({ batch: batch.name, namespace: batch.namespace, cores: opts.cores }),
    ...files,
  });
  opts.onProcess(proc);
  // A build started while the node is paused waits for the resume like a job does.
  if (opts.paused) proc.pause();
  const exit = await proc.done;
  opts.onProcess(null, proc);
  if (exit.kind === 'exited' && exit.code === 0) return { ok: true };
  const summary = describeExit(exit);
  const log = `build step ${summary}\n--- stdout ---\n${await readTail(files.stdoutPath)}\n--- stderr ---\n${await readTail(files.stderrPath)}`;
  return { ok: false, summary, log };
}
