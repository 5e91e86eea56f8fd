/**
 * `distribute slurm CONFIG --out DIR`: transpiles a batch into a self-contained folder for a SLURM
 * cluster (see head/slurm/transpile.ts for the layout and docs/slurm.md for the user's view).
 * Exit codes: 0 written, 2 invalid config / bad option / non-empty folder without --force,
 * 1 the folder could not be written.
 */
import { Command, Option } from 'commander';
import { formatProblems, loadConfig } from '../../shared/config/load.ts';
import { transpileSlurm, type SlurmOptions } from '../slurm/transpile.ts';
import { writeSlurmFolder } from '../slurm/write.ts';

interface SlurmCliOptions {
  out: string;
  force?: boolean;
  upload?: string;
  runtime: 'apptainer' | 'singularity';
  python: string;
  arrayLimit: string;
  json?: boolean;
}

/** Runs the command; returns the exit code. Streams are parameters so tests can capture them. */
export async function runSlurm(configPath: string, opts: SlurmCliOptions, out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const arrayLimit = Number(opts.arrayLimit);
  if (!Number.isInteger(arrayLimit) || arrayLimit < 1) {
    err.write(`distribute slurm: --array-limit must be a positive integer, got '${opts.arrayLimit}'\n`);
    return 2;
  }
  const loaded = await loadConfig(configPath);
  if (!loaded.ok) {
    err.write(`${formatProblems(loaded.problems, configPath)}\n`);
    return 2;
  }
  const options: SlurmOptions = { python: opts.python, runtime: opts.runtime, upload: opts.upload, arrayLimit };
  const result = transpileSlurm(loaded.config, options);
  if (!result.ok) {
    err.write(`${formatProblems(result.problems, configPath)}\n`);
    return 2;
  }
  const { plan } = result;
  const written = await writeSlurmFolder(opts.out, plan.files, { force: opts.force });
  if (!written.ok) {
    err.write(`distribute slurm: ${written.message}\n`);
    return written.reason === 'not-empty' ? 2 : 1;
  }
  if (opts.json) {
    out.write(`${JSON.stringify({
      dir: written.dir,
      build: plan.build,
      scripts: plan.scripts.map((s) => ({ file: s.file, array: s.array, jobs: s.jobs })),
      files: plan.files.map((f) => ('content' in f
        ? { path: f.path, mode: f.mode.toString(8), bytes: Buffer.byteLength(f.content) }
        : { path: f.path, mode: f.mode.toString(8), copiedFrom: f.copyFrom })),
    }, null, 2)}\n`);
    return 0;
  }
  const jobs = plan.scripts.reduce((n, s) => n + s.jobs.length, 0);
  out.write(`Wrote ${plan.files.length} files to ${written.dir}: ${jobs} job(s) in ${plan.scripts.length} sbatch script(s)`
    + `${plan.build ? ' after a build step' : ''}.\n`);
  for (const s of plan.scripts) out.write(`  ${s.file}: ${s.array ? `job array of ${s.jobs.length}` : `job ${s.jobs[0]}`}\n`);
  out.write(opts.upload
    ? `Next: ${written.dir}/upload.sh, then run submit.sh on the cluster.\n`
    : `Next: copy ${written.dir} to the cluster and run its submit.sh there.\n`);
  return 0;
}

/** Registers `slurm` on the program. */
export function register(program: Command): void {
  program
    .command('slurm')
    .description('transpile a batch into a self-contained folder of sbatch scripts for a SLURM cluster')
    .argument('<config>', 'batch config (distribute-jobs.yaml)')
    .requiredOption('-o, --out <dir>', 'folder to write (must be empty or missing unless --force)')
    .option('-f, --force', 'write into a non-empty folder (files there are overwritten, others kept)')
    .option('--upload <user@host:path>', 'also write upload.sh, which rsyncs the folder there')
    .addOption(new Option('--runtime <runtime>', 'container runtime for apptainer batches').choices(['apptainer', 'singularity']).default('apptainer'))
    .option('--python <interpreter>', 'python interpreter the scripts call', 'python3')
    .option('--array-limit <n>', 'largest job array to emit (the cluster\'s MaxArraySize - 1)', '1000')
    .option('--json', 'print the plan and file list as JSON')
    .action(async (config: string, opts: SlurmCliOptions) => {
      process.exitCode = await runSlurm(config, opts);
    });
}
