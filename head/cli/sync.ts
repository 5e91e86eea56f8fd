/** `distribute sync`: pull every finished batch of yours into a local results folder. */
import type { Command } from 'commander';
import { DEFAULT_RESULTS_DIR, syncResults } from '../../client/sync.ts';
import { terminalSafe, terminalSafeLines } from '../../shared/terminal-text.ts';
import { action, connectHead, EXIT, withHeadOptions, type HeadOptions } from './client.ts';
import { Progress } from './progress.ts';
import { pullExitCode } from './pull.ts';

export function register(program: Command): void {
  withHeadOptions(program
    .command('sync')
    .description('pull every finished batch of yours into DIR/<namespace>/<batch>/<job>/; identical files are skipped')
    .option('-o, --out <dir>', 'results folder', DEFAULT_RESULTS_DIR)
    .option('--json', 'print JSON'))
    .action(action('sync', async (opts: HeadOptions & { out: string; json?: boolean }) => {
      const report = await syncResults({ client: connectHead(opts), out: opts.out, progress: (total) => new Progress('pull', total, { quiet: opts.json }) });
      if (opts.json) {
        process.stdout.write(JSON.stringify(report, null, 2) + '\n');
      } else {
        for (const b of report.batches) {
          const name = terminalSafe(`${b.namespace}/${b.batch}`);
          process.stdout.write(b.error ? `${name}: failed: ${terminalSafe(b.error)}\n` : `${name}: ${b.pulled} pulled, ${b.skipped} already present\n`);
        }
        (report.ok ? process.stdout : process.stderr).write(`${terminalSafeLines(report.message)}\n`);
      }
      return report.ok ? EXIT.ok : report.failure ? pullExitCode(report.failure) : EXIT.failed;
    }));
}
