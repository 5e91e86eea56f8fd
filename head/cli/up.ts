/**
 * `distribute up`: the embedded-defaults way to try distribute on one machine: a head with its
 * data under ~/.distribute/head and a local agent working in ~/.distribute/agent, in one process.
 * `npm start` runs this.
 */
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { Agent } from '../../electron/agent/agent.ts';
import { startHead } from '../server.ts';
import { action, CliError, defaultDataDir, EXIT } from './client.ts';

export function register(program: Command): void {
  program
    .command('up')
    .description('start a head and a local agent on this machine (try-it-out mode)')
    .option('--data <dir>', 'head data folder', defaultDataDir())
    .option('--workdir <dir>', 'local agent work folder', path.join(os.homedir(), '.distribute', 'agent'))
    .option('--port <port>', 'head port', '8952')
    .option('--tag <tag...>', 'extra capability tags of the local agent', [])
    .option('--no-agent', 'start only the head')
    .action(action('up', async (opts: { data: string; workdir: string; port: string; tag: string[]; agent: boolean }) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port)) throw new CliError(`--port: '${opts.port}' is not a port number`, EXIT.usage);
      const head = await startHead({ dataDir: opts.data, port });
      let agent: Agent | null = null;
      if (opts.agent) {
        agent = new Agent({ headUrl: head.url, token: head.agentToken, workdir: opts.workdir, tags: opts.tag, name: os.hostname() });
        await agent.start();
      }
      process.stderr.write([
        `distribute is up: head ${head.url} (data ${opts.data})${agent ? `, local agent '${agent.name}' (workdir ${opts.workdir})` : ''}`,
        'In another terminal try:',
        '  npx distribute add examples/python-sweep/distribute-jobs.yaml',
        '  npx distribute status',
        '  npx distribute pull examples/python-sweep/distribute-jobs.yaml --out results',
        'Ctrl-C stops both.', '',
      ].join('\n'));
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      await agent?.stop();
      await head.close();
    }));
}
