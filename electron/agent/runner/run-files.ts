/**
 * Files and directories a run needs before its job (or its batch's build step) can start:
 * inputs downloaded into the workspace's content-addressed cache, then placed where the build
 * step and the job expect them.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { BatchHeader } from '../../../shared/protocol/index.ts';
import { routes } from '../../../shared/protocol/index.ts';
import type { PersistedRun } from '../agent-store.ts';
import { downloadFile } from '../transfer.ts';
import type { Workspace } from './workspace.ts';

/** Where inputs come from and go to. */
export interface RunFilesContext {
  ws: Workspace;
  headUrl: string;
  token: string;
}

/** Where a prepared job runs. */
export interface JobDirs {
  /** The job's working directory (its cwd): the batch folder, or the run's own for a shared node. */
  batchDir: string;
  /** This run's directory (logs, exit code, mounts). */
  runDir: string;
  inputDir: string;
  saveDir: string;
  /** One empty directory per required mount, in order. */
  mountDirs: string[];
}

/**
 * Downloads every input of `run` not cached yet (job files, init files, build file, image,
 * script) and creates the run's directory. Returns the sha256 of every input the run uses.
 */
export async function fetchRunInputs(ctx: RunFilesContext, run: PersistedRun): Promise<string[]> {
  const { batch, spec } = run;
  const inputs = [...batch.initFiles, ...spec.files];
  if (batch.buildFile) inputs.push(batch.buildFile);
  if (batch.sif) inputs.push(batch.sif);
  if (spec.script) inputs.push(spec.script);
  for (const f of inputs) {
    if (ctx.ws.hasCached(f.sha256)) continue;
    const url = new URL(routes.agentInput(f.sha256), ctx.headUrl).toString();
    await downloadFile(url, ctx.token, ctx.ws.cachePath(f.sha256), f.sha256);
  }
  ctx.ws.makeRunDir(ctx.ws.runDirOf(run));
  return inputs.map((f) => f.sha256);
}

/** Places what the batch's build step needs (init files, build file, image) in the batch directory. */
export async function prepareBuild(ws: Workspace, batch: BatchHeader): Promise<void> {
  const batchDir = ws.batchDir(batch.id);
  await ws.prepareJob(batchDir, batch.initFiles, []);
  if (batch.buildFile) await ws.place(batch.buildFile, path.join(batchDir, batch.buildFile.alias));
  if (batch.sif) await ws.place(batch.sif, path.join(batchDir, batch.sif.alias));
}

/**
 * The folder a run works in: the batch folder for a run that has the node alone (as before
 * requests), its own folder for a run that shares the node.
 */
export function workDirOf(ws: Workspace, run: PersistedRun): string {
  return run.whole === false ? ws.workDir(run.batch.id, run.spec.name, run.runId) : ws.batchDir(run.batch.id);
}

/** Places the job's inputs and script and creates its mount directories. */
export async function prepareJobDirs(ws: Workspace, run: PersistedRun): Promise<JobDirs> {
  const { batch, spec } = run;
  const batchDir = workDirOf(ws, run);
  if (run.whole === false) await ws.linkBatchFolder(batch.id, batchDir, spec.script ? [spec.script.alias] : []);
  const runDir = ws.runDirOf(run);
  const { inputDir, saveDir } = await ws.prepareJob(batchDir, batch.initFiles, spec.files, spec.script);
  const mountDirs: string[] = [];
  for (let i = 0; i < (batch.requiredMounts ?? []).length; i++) {
    const d = path.join(runDir, `mount-${i}`);
    mkdirSync(d, { recursive: true });
    mountDirs.push(d);
  }
  return { batchDir, runDir, inputDir, saveDir, mountDirs };
}
