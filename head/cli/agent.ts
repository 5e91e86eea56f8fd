/** `distribute agent`: run a compute node headless (the tray app hosts the same core). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { Agent } from '../../electron/agent/agent.ts';
import { parseDuration } from '../../shared/duration.ts';
import { action, CliError, EXIT } from './client.ts';

export function register(program: Command): void {
  program
    .command('agent')
    .description('run this machine as a compute node: connect to the head, run jobs, upload results')
    .option('--head <url>', 'head URL', process.env.DISTRIBUTE_HEAD ?? 'http://127.0.0.1:8952')
    .requiredOption('--token-file <file>', 'file holding the agent join token (the head\'s agent-token)')
    .option('--workdir <dir>', 'folder for inputs, batch folders and runs', path.join(os.homedir(), '.distribute', 'agent'))
    .option('--name <name>', 'node name shown on the head', os.hostname())
    .option('--tag <tag...>', 'capability tags this node offers (repeatable)', [])
    .option('--owner <user>', 'user who owns this workstation (may pause it through the head)')
    .option('--python <path>', 'python interpreter for python batches', 'python3')
    .option('--max-pause <duration>', 'longest pause; a pause until resumed also ends here', '4h')
    .action(action('agent', async (opts: { head: string; tokenFile: string; workdir: string; name: string; tag: string[]; owner?: string; python: string; maxPause: string }) => {
      let token: string;
      try {
        token = fs.readFileSync(opts.tokenFile, 'utf8').trim();
      } catch (err) {
        throw new CliError(`--token-file: cannot read '${opts.tokenFile}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.usage);
      }
      const maxPause = parseDuration(opts.maxPause);
      if (!maxPause.ok) throw new CliError(`--max-pause: ${maxPause.error}`, EXIT.usage);
      const agent = new Agent({ headUrl: opts.head, token, workdir: opts.workdir, name: opts.name, tags: opts.tag, owner: opts.owner, python: opts.python, maxPauseMs: maxPause.ms });
      await agent.start();
      process.stderr.write(`distribute agent '${agent.name}' working in ${opts.workdir}, head ${opts.head}\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      await agent.stop();
    }));
}
