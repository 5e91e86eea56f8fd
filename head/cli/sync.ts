/** `distribute sync`: pull every finished batch of yours into a local results folder. */
import type { Command } from 'commander';
import { terminalSafe, terminalSafeLines } from '../../shared/terminal-text.ts';
import { action, HeadClient, withHeadOptions, type HeadOptions } from './client.ts';
import { DEFAULT_RESULTS_DIR, syncResults } from './sync-core.ts';

export function register(program: Command): void {
  withHeadOptions(program
    .command('sync')
    .description('pull every finished batch of yours into DIR/<namespace>/<batch>/<job>/; identical files are skipped')
    .option('-o, --out <dir>', 'results folder', DEFAULT_RESULTS_DIR)
    .option('--json', 'print JSON'))
    .action(action('sync', async (opts: HeadOptions & { out: string; json?: boolean }) => {
      // HeadClient resolves --head/--token the same way every command does.
      const client = new HeadClient(opts);
      const report = await syncResults({ head: client.base, token: client.token, out: opts.out, progress: !opts.json });
      if (opts.json) {
        process.stdout.write(JSON.stringify(report, null, 2) + '\n');
      } else {
        for (const b of report.batches) {
          const name = terminalSafe(`${b.namespace}/${b.batch}`);
          process.stdout.write(b.error ? `${name}: failed: ${terminalSafe(b.error)}\n` : `${name}: ${b.pulled} pulled, ${b.skipped} already present\n`);
        }
        (report.ok ? process.stdout : process.stderr).write(`${terminalSafeLines(report.message)}\n`);
      }
      return report.exitCode;
    }));
}
