/**
 * `distribute run CONFIG`: run a batch on this machine, no head needed, to try a config before
 * submitting it. Results land in `<out>/<namespace>/<batch>/<job>/` exactly as `pull` would
 * write them. Exit 0 only when the build and every job succeeded; 1 otherwise; 2 for a bad
 * config or option.
 */
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { formatProblems, loadConfig } from '../../shared/config/load.ts';
import { describe, runLocal } from '../run/local-run.ts';
import { action, CliError, EXIT } from './client.ts';

interface RunOptions {
  out: string;
  python?: string;
  apptainer?: string;
  cores?: string;
  job?: string[];
  workdir?: string;
  keep?: boolean;
  quiet?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('run')
    .argument('<config>', 'batch config (YAML)')
    .description('run a batch locally without a head (same layout and results folder shape)')
    .option('-o, --out <dir>', 'results folder: jobs land in DIR/<namespace>/<batch>/<job>/', 'distribute-results')
    .option('--python <path>', 'python interpreter for python batches', 'python3')
    .option('--apptainer <runtime>', 'container runtime for apptainer batches (apptainer or singularity)', 'apptainer')
    .option('--cores <n>', 'cores passed to jobs (default: this machine\'s)')
    .option('--job <name...>', 'run only these jobs')
    .option('--workdir <dir>', 'scratch folder for the batch folder (default: a temporary one)')
    .option('--keep', 'keep the scratch folder')
    .option('-q, --quiet', 'do not echo the jobs\' output')
    .option('--json', 'print a JSON report on stdout (job output is not echoed)')
    .action(action('run', async (file: string, opts: RunOptions) => {
      const loaded = await loadConfig(file);
      if (!loaded.ok) throw new CliError(`invalid config:\n${formatProblems(loaded.problems, file)}`, EXIT.usage);
      let cores: number | undefined;
      if (opts.cores !== undefined) {
        cores = Number(opts.cores);
        if (!Number.isInteger(cores) || cores < 1) throw new CliError(`--cores: '${opts.cores}' is not a positive whole number`, EXIT.usage);
      }
      const names = new Set(loaded.config.section.jobs.map((j) => j.name));
      const unknown = (opts.job ?? []).filter((j) => !names.has(j));
      if (unknown.length) throw new CliError(`--job: no job named ${unknown.join(', ')} in the config`, EXIT.usage);
      const echo = !opts.quiet && !opts.json;
      const abort = new AbortController();
      const stop = () => abort.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        const report = await runLocal({
          config: loaded.config, out: opts.out, python: opts.python, apptainer: opts.apptainer, cores, only: opts.job,
          workdir: opts.workdir, keepWork: opts.keep, signal: abort.signal,
          log: (line) => process.stderr.write(`distribute run: ${line}\n`),
          onOutput: echo ? (job, stream, text) => (stream === 'stdout' ? process.stdout : process.stderr).write(prefix(job, text)) : undefined,
        });
        if (opts.json) {
          process.stdout.write(JSON.stringify(report, null, 2) + '\n');
        } else {
          if (report.build.log) process.stderr.write(report.build.log + '\n');
          const ok = report.jobs.filter((j) => j.result.outcome === 'succeeded').length;
          for (const j of report.jobs.filter((x) => x.result.outcome !== 'succeeded')) process.stderr.write(`  ${j.job}: ${describe(j.result)}\n`);
          process.stdout.write(`${ok} of ${report.jobs.length} jobs succeeded; results in ${path.relative(process.cwd(), report.dir) || '.'}${os.EOL}`);
        }
        if (report.aborted) return 130;
        return report.ok ? EXIT.ok : EXIT.failed;
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    }));
}

/** Prefix each line of a chunk with the job's name, so interleaved output stays readable. */
function prefix(job: string, text: string): string {
  return text.replace(/^(?=.)/gm, `[${job}] `);
}
