/** `distribute pull CONFIG`: download a batch's archived results into `<out>/<batch>/<job>/…`. */
import path from 'node:path';
import fs from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { pullBatch, type PullFailure, type Rule } from '../../client/pull.ts';
import { terminalSafe } from '../../shared/terminal-text.ts';
import { formatSize } from '../../shared/format.ts';
import { action, CliError, connectHead, count, EXIT, withHeadOptions, type HeadOptions } from './client.ts';
import { Progress } from './progress.ts';

/** The exit code of a failed pull or sync: 3 when the head is unreachable, else 1. */
export function pullExitCode(failure: PullFailure): number {
  return failure.kind === 'unreachable' ? EXIT.unreachable : EXIT.failed;
}

export function register(program: Command): void {
  const rules: Rule[] = [];
  const collect = (kind: Rule['kind']) => (value: string) => {
    try {
      rules.push({ kind, pattern: new RegExp(value) });
    } catch (err) {
      // A commander error, so main.ts exits 2 (bad usage) with commander's message.
      throw new InvalidArgumentError((err as Error).message);
    }
    return rules;
  };
  withHeadOptions(program
    .command('pull')
    .argument('[config]', 'the batch config (its meta names the batch)')
    .description('download a batch\'s results; files already present and identical are skipped')
    .option('--batch <ref>', 'batch id or namespace/name instead of a config')
    .option('-o, --out <dir>', 'local folder to pull into', '.')
    .option('--include <regex>', 'pull only matching files (path like batch/job/file; repeatable, first matching rule wins)', collect('include'))
    .option('--exclude <regex>', 'skip matching files (repeatable, first matching rule wins)', collect('exclude'))
    .option('--dry-run', 'list what would and would not be pulled, download nothing')
    .option('--json', 'print JSON'))
    .action(action('pull', async (config: string | undefined, opts: HeadOptions & { batch?: string; out: string; dryRun?: boolean; json?: boolean }) => {
      let ref = opts.batch;
      if (!ref) {
        if (!config) throw new CliError('give a config file or --batch', EXIT.usage);
        let text: string;
        try {
          text = fs.readFileSync(config, 'utf8');
        } catch (err) {
          throw new CliError(`cannot read config '${config}': ${(err as NodeJS.ErrnoException).code}`, EXIT.usage);
        }
        // Loaded only here: the config reader brings yaml and zod, which `pull --batch` never needs.
        const [{ formatProblems }, { parseConfig }] = await Promise.all([import('../../shared/config/load.ts'), import('../../shared/config/parse-config.ts')]);
        const parsed = parseConfig(text, { baseDir: path.dirname(path.resolve(config)), source: config, checkFiles: false });
        if (!parsed.ok) throw new CliError(`invalid config:\n${formatProblems(parsed.problems, config)}`, EXIT.usage);
        ref = `${parsed.config.meta.namespace}/${parsed.config.meta.batch_name}`;
      }
      const pulled = await pullBatch(connectHead(opts), ref, path.resolve(opts.out), rules, {
        dryRun: opts.dryRun, progress: (total) => new Progress('pull', total, { quiet: opts.json }),
      });
      if (!pulled.ok) throw new CliError(pulled.error.message, pullExitCode(pulled.error));
      const summary = pulled.value;
      if (opts.json) {
        process.stdout.write(JSON.stringify({ ...summary, dryRun: opts.dryRun === true }, null, 2) + '\n');
      } else {
        if (opts.dryRun) {
          for (const f of summary.files) process.stdout.write(`${f.decision === 'pull' ? 'would pull ' : f.decision === 'excluded' ? 'excluded   ' : 'identical  '} ${terminalSafe(f.path)} (${formatSize(f.size)})\n`);
          process.stdout.write(`${count(summary.pulled, 'file')} (${formatSize(summary.bytes)}) would be pulled, ${summary.skipped} already present, ${summary.excluded} excluded\n`);
        } else {
          process.stdout.write(`pulled ${count(summary.pulled, 'file')} (${formatSize(summary.bytes)}) into ${terminalSafe(path.join(path.resolve(opts.out), summary.namespace, summary.batch))}; ${summary.skipped} already present, ${summary.excluded} excluded\n`);
        }
        if (summary.pendingJobs.length) process.stdout.write(`${count(summary.pendingJobs.length, 'job')} not finished yet; pull again later for their results\n`);
      }
    }));
}
