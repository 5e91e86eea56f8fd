/**
 * `distribute rm BATCH`: delete a batch and its archived results (its owner or an admin). Asks
 * for confirmation on a terminal; elsewhere `--yes` is required (exit 2 without it), so a script
 * never deletes results by accident.
 */
import readline from 'node:readline/promises';
import type { Command } from 'commander';
import { action, CliError, connectHead, EXIT, must, withHeadOptions, type HeadOptions } from './client.ts';
import { describeCounts } from './wait.ts';
import { terminalSafe } from '../../shared/terminal-text.ts';

interface RmOptions extends HeadOptions { yes?: boolean; json?: boolean }

async function confirm(question: string): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export function register(program: Command): void {
  withHeadOptions(program
    .command('rm')
    .argument('<batch>', 'batch id, namespace/name or name')
    .description('delete a batch and its archived results from the head (owner or admin)')
    .option('-y, --yes', 'do not ask for confirmation (required when not on a terminal)')
    .option('--json', 'print JSON'))
    .action(action('rm', async (ref: string, opts: RmOptions) => {
      const client = connectHead(opts);
      const b = must(await client.batch(ref));
      const what = terminalSafe(`${b.namespace}/${b.name} (id ${b.id}, owner ${b.owner}, ${b.phase}; ${describeCounts(b.counts, b.total)})`);
      if (!opts.yes) {
        if (!process.stdin.isTTY) throw new CliError(`refusing to delete ${what} without --yes when not on a terminal`, EXIT.usage);
        const running = b.phase === 'active' ? ' Its running jobs are killed.' : '';
        if (!(await confirm(`Delete batch ${what} and all its archived results?${running} [y/N] `))) {
          process.stderr.write('nothing deleted\n');
          return EXIT.failed;
        }
      }
      // By id: the name may be reused between the question and the answer.
      const removed = must(await client.removeBatch(b.id));
      if (opts.json) process.stdout.write(JSON.stringify(removed, null, 2) + '\n');
      else process.stdout.write(`deleted batch ${terminalSafe(removed.removed)} (id ${terminalSafe(removed.id)}) and its archived results\n`);
      return EXIT.ok;
    }));
}
