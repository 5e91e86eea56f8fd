/**
 * `distribute run`: a batch run on this machine without a head, for trying a config before
 * submitting it. Same run-time layout as on a node (the batch folder holds the build file, the
 * job script, `input/` and `distribute_save/`; commands from shared/job/command.ts; process trees
 * from the agent's job runner, electron/agent/runner/), and the same archive shape as the head:
 * `<out>/<namespace>/<batch>/<job>/…` plus `_distribute/{stdout.log,stderr.log,result.json}`.
 * The build step runs once; jobs run one after another. Files are copied from where the config
 * names them (no hashing or upload).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BatchConfig, FileRef } from '../../shared/config/types.ts';
import { effectiveRequest } from '../../shared/batch/request.ts';
import { buildCommand, INPUT_DIR, jobCommand, jobEnv, SAVE_DIR, type CommandLine } from '../../shared/job/command.ts';
import type { JobResult } from '../../shared/job/state.ts';
import { RESULT_FILE, STDERR_FILE, STDOUT_FILE, META_DIR } from '../../shared/archive-layout.ts';
import { collectResults, describeFiles, jobFiles, type JobProcess, startJobProcess, toResult } from '../../electron/agent/runner/index.ts';

export interface LocalRunOptions {
  config: BatchConfig;
  /** Results root: jobs land in `<out>/<namespace>/<batch>/<job>/`. */
  out: string;
  /** Scratch folder for the batch folder and logs; removed afterwards unless `keepWork`. */
  workdir?: string;
  keepWork?: boolean;
  cores?: number;
  python?: string;
  apptainer?: string;
  /** Only these jobs (by name); default all. */
  only?: string[];
  /** Progress lines ("job_3 succeeded in 2s"). */
  log?: (line: string) => void;
  /** Live output of the running job or build. */
  onOutput?: (job: string, stream: 'stdout' | 'stderr', text: string) => void;
  /** Aborting kills the running job's process tree; remaining jobs are not started. */
  signal?: AbortSignal;
}

export interface LocalJobReport {
  job: string;
  result: JobResult;
  runMs: number;
  files: number;
  bytes: number;
  dir: string;
}

export interface LocalRunReport {
  namespace: string;
  batch: string;
  /** `<out>/<namespace>/<batch>`. */
  dir: string;
  build: { ran: boolean; ok: boolean; log?: string };
  jobs: LocalJobReport[];
  /** True when the build succeeded and every job succeeded. */
  ok: boolean;
  aborted: boolean;
}

async function copyInto(ref: FileRef, dir: string): Promise<void> {
  const dest = path.join(dir, ref.alias);
  await fs.rm(dest, { force: true, recursive: true });
  await fs.copyFile(ref.path, dest);
}

/** What a config's section gives each kind of command, in the spec's shape. */
function commandParts(config: BatchConfig) {
  const s = config.section;
  const batch = {
    kind: s.kind,
    buildFile: s.kind === 'python' ? s.initialize.build_file : undefined,
    buildCommand: s.kind === 'shell' ? s.initialize.build : undefined,
    sif: s.kind === 'apptainer' ? s.initialize.sif : undefined,
    requiredMounts: s.kind === 'apptainer' ? s.initialize.required_mounts : [],
  };
  const jobs = s.jobs.map((j) => ({
    name: j.name,
    script: s.kind === 'python' ? (j as { file: FileRef }).file : undefined,
    command: s.kind === 'shell' ? (j as { command: string }).command : undefined,
    files: j.required_files,
    request: effectiveRequest({ request: config.meta.request }, { request: j.request }),
  }));
  return { batch, jobs };
}

/** Run the whole batch locally. Never throws for a job failure; I/O errors of `out` do throw. */
export async function runLocal(opts: LocalRunOptions): Promise<LocalRunReport> {
  const { config } = opts;
  const log = opts.log ?? (() => {});
  const cores = opts.cores ?? Math.max(1, os.availableParallelism());
  const cmdOpts = { cores, python: opts.python, apptainer: opts.apptainer };
  const work = opts.workdir ? path.resolve(opts.workdir) : await fs.mkdtemp(path.join(os.tmpdir(), 'distribute-run-'));
  const batchDir = path.join(work, 'batch');
  const runsDir = path.join(work, 'runs');
  const inputDir = path.join(batchDir, INPUT_DIR);
  const saveDir = path.join(batchDir, SAVE_DIR);
  const namespace = config.meta.namespace;
  const batchName = config.meta.batch_name;
  const dir = path.join(path.resolve(opts.out), namespace, batchName);
  const { batch, jobs } = commandParts(config);
  const report: LocalRunReport = { namespace, batch: batchName, dir, build: { ran: false, ok: true }, jobs: [], ok: false, aborted: false };
  let current: JobProcess | null = null;
  const onAbort = () => void current?.kill(3000);
  opts.signal?.addEventListener('abort', onAbort);

  const run = async (name: string, cmd: CommandLine, env: Record<string, string>, logDir: string) => {
    await fs.mkdir(logDir, { recursive: true });
    current = startJobProcess({
      file: cmd.file, args: cmd.args, cwd: batchDir, env,
      ...jobFiles(logDir),
      onOutput: opts.onOutput ? (stream, text) => opts.onOutput!(name, stream, text) : undefined,
    });
    if (opts.signal?.aborted) void current.kill(3000);
    const exit = await current.done;
    current = null;
    return exit;
  };

  const resetFolders = async (jobFiles: FileRef[]) => {
    await fs.rm(inputDir, { recursive: true, force: true });
    await fs.rm(saveDir, { recursive: true, force: true });
    await fs.mkdir(inputDir, { recursive: true });
    await fs.mkdir(saveDir, { recursive: true });
    for (const f of [...(config.section.initialize.required_files), ...jobFiles]) await copyInto(f, inputDir);
  };

  try {
    await fs.mkdir(batchDir, { recursive: true });
    await resetFolders([]);
    if (batch.buildFile) await copyInto(batch.buildFile, batchDir);
    if (batch.sif) await copyInto(batch.sif, batchDir);
    const build = buildCommand({ kind: batch.kind, buildFile: batch.buildFile, buildCommand: batch.buildCommand }, cmdOpts);
    if (build) {
      report.build.ran = true;
      log('build: running');
      const logDir = path.join(runsDir, '_build');
      const exit = await run('_build', build, jobEnv({ batch: batchName, namespace, cores }), logDir);
      if (!(exit.kind === 'exited' && exit.code === 0)) {
        const tail = async (f: string) => (await fs.readFile(path.join(logDir, f), 'utf8').catch(() => '')).slice(-4000);
        report.build = { ran: true, ok: false, log: `build step ${describe(toResult(exit))}\n--- stdout ---\n${await tail('stdout.log')}\n--- stderr ---\n${await tail('stderr.log')}` };
        log(`build: failed (${describe(toResult(exit))}); no job was run`);
        return report;
      }
      log('build: ok');
    }
    const wanted = opts.only ? jobs.filter((j) => opts.only!.includes(j.name)) : jobs;
    for (const job of wanted) {
      if (opts.signal?.aborted) {
        report.aborted = true;
        break;
      }
      await resetFolders(job.files);
      if (job.script) await copyInto(job.script, batchDir);
      const mountDirs: string[] = [];
      for (let i = 0; i < batch.requiredMounts.length; i++) {
        const d = path.join(runsDir, job.name, `mount-${i}`);
        await fs.mkdir(d, { recursive: true });
        mountDirs.push(d);
      }
      // Jobs run one after another here; each still sees the cores it requested, as on a node.
      const jobCores = job.request ? Math.min(job.request.cpus ?? 1, cores) : cores;
      const cmd = jobCommand(batch, job, { inputDir, saveDir, mountDirs }, { ...cmdOpts, cores: jobCores });
      const logDir = path.join(runsDir, job.name);
      const startedAt = Date.now();
      const exit = await run(job.name, cmd, jobEnv({ batch: batchName, namespace, job: job.name, cores: jobCores }), logDir);
      const endedAt = Date.now();
      if (opts.signal?.aborted) report.aborted = true;
      const result = toResult(exit);
      const archived = await archiveJob({ dir, job: job.name, namespace, batch: batchName, saveDir, logDir, result, startedAt, endedAt });
      report.jobs.push({ job: job.name, result, runMs: endedAt - startedAt, files: archived.files, bytes: archived.bytes, dir: path.join(dir, job.name) });
      log(`${job.name}: ${describe(result)} in ${((endedAt - startedAt) / 1000).toFixed(1)}s`);
    }
    report.ok = !report.aborted && report.build.ok && report.jobs.length === wanted.length && report.jobs.every((j) => j.result.outcome === 'succeeded');
    return report;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    if (!opts.keepWork) await fs.rm(work, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** A result in words: "succeeded", "failed with exit code 3", … */
export function describe(r: JobResult): string {
  switch (r.outcome) {
    case 'succeeded': return 'succeeded';
    case 'failed': return `failed with exit code ${r.exitCode}`;
    case 'killed': return `was killed by ${r.signal}`;
    case 'spawn-failed': return `could not start: ${r.message}`;
    default: return r.outcome;
  }
}

/**
 * Copy what the job left in distribute_save (links out of it are skipped and noted in the job's
 * stderr log, as on a node) plus its logs and result.json into `<dir>/<job>/`. Written to a
 * temporary sibling first and renamed, so a job folder is either the old one or complete.
 */
async function archiveJob(a: { dir: string; job: string; namespace: string; batch: string; saveDir: string; logDir: string; result: JobResult; startedAt: number; endedAt: number }): Promise<{ files: number; bytes: number }> {
  const { files, skipped } = await collectResults(a.saveDir).catch(() => ({ files: [] as { rel: string; abs: string }[], skipped: [] as string[] }));
  const stderrLog = path.join(a.logDir, 'stderr.log');
  if (skipped.length) await fs.appendFile(stderrLog, `distribute: not archived: ${skipped.join(', ')}\n`);
  const all = [...files.filter((f) => f.rel !== META_DIR && !f.rel.startsWith(`${META_DIR}/`)),
    { rel: STDOUT_FILE, abs: path.join(a.logDir, 'stdout.log') }, { rel: STDERR_FILE, abs: stderrLog }];
  for (const f of all.slice(-2)) await fs.appendFile(f.abs, '');
  const described = await describeFiles(all);
  const tmp = path.join(a.dir, `.${a.job}.partial`);
  await fs.rm(tmp, { recursive: true, force: true });
  for (const f of described) {
    const dest = path.join(tmp, ...f.path.split('/'));
    await fs.mkdir(path.dirname(dest), { recursive: true });
    await fs.copyFile(f.abs, dest);
  }
  const bytes = described.reduce((n, f) => n + f.size, 0);
  const meta = {
    batchId: 'local', namespace: a.namespace, batch: a.batch, job: a.job, attempt: 1, node: os.hostname(), result: a.result,
    startedAt: a.startedAt, endedAt: a.endedAt, runMs: a.endedAt - a.startedAt,
    files: described.map(({ path: p, size, sha256 }) => ({ path: p, size, sha256 })), bytes,
  };
  await fs.mkdir(path.join(tmp, META_DIR), { recursive: true });
  await fs.writeFile(path.join(tmp, RESULT_FILE), JSON.stringify(meta, null, 1));
  const target = path.join(a.dir, a.job);
  await fs.rm(target, { recursive: true, force: true });
  await fs.rename(tmp, target);
  return { files: described.length, bytes };
}
