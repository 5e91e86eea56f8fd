/** `distribute kill BATCH`: cancel queued jobs and kill running ones (owner or admin). */
import type { Command } from 'commander';
import { action, connectHead, must, withHeadOptions, type HeadOptions } from './client.ts';
import { terminalSafe } from '../../shared/terminal-text.ts';

export function register(program: Command): void {
  withHeadOptions(program
    .command('kill')
    .argument('<batch>', 'batch id, namespace/name, or name')
    .description('cancel a batch: queued jobs are dropped, running ones killed (whole process tree)')
    .option('--json', 'print JSON'))
    .action(action('kill', async (batch: string, opts: HeadOptions & { json?: boolean }) => {
      const r = must(await connectHead(opts).killBatch(batch));
      if (opts.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
      else process.stdout.write(`killed ${terminalSafe(`${r.namespace}/${r.name}`)}: ${r.cancelled} jobs cancelled, ${r.killing} running jobs being stopped\n`);
    }));
}
