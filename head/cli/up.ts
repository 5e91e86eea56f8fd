/**
 * `distribute up`: the embedded-defaults way to try distribute on one machine: a head with its
 * data under ~/.distribute/head and a local agent working in ~/.distribute/agent, in one process.
 * `npm start` runs this.
 */
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_CONTROL_PORT } from '../../electron/agent/control-server.ts';
import { startAgent, type RunningAgent } from '../../electron/agent/start-agent.ts';
import { startHead } from '../server.ts';
import { stopSignal } from './stop-signals.ts';
import { action, defaultDataDir, parsePort } from './client.ts';
import { assertPortFree } from './port-free.ts';
import { selfCommand } from './self-command.ts';

export function register(program: Command): void {
  program
    .command('up')
    .description('start a head and a local agent on this machine (try-it-out mode)')
    .option('--data <dir>', 'head data folder', defaultDataDir())
    .option('--workdir <dir>', 'local agent work folder', path.join(os.homedir(), '.distribute', 'agent'))
    .option('--port <port>', 'head port', '8952')
    .option('--tag <tag...>', 'extra capability tags of the local agent', [])
    .option('--no-agent', 'start only the head')
    .option('--control-port <port>', 'port of the local agent\'s control endpoint and status page (0 = any free port)', String(DEFAULT_CONTROL_PORT))
    .action(action('up', async (opts: { data: string; workdir: string; port: string; tag: string[]; agent: boolean; controlPort: string }) => {
      const port = parsePort('--port', opts.port);
      const controlPort = parsePort('--control-port', opts.controlPort);
      await assertPortFree('127.0.0.1', port, '--port');
      const head = await startHead({ dataDir: opts.data, port });
      let running: RunningAgent | null = null;
      if (opts.agent) {
        running = await startAgent({ headUrl: head.url, token: head.agentToken, workdir: opts.workdir, tags: opts.tag, name: os.hostname(), controlPort });
      }
      const agent = running?.agent ?? null;
      const cmd = selfCommand();
      process.stderr.write([
        `distribute is up: head ${head.url} (data ${opts.data})${agent ? `, local agent '${agent.name}' (workdir ${opts.workdir})` : ''}`,
        `Dashboard: ${head.url}/ (sign in with the admin token in ${head.adminTokenFile})`,
        'In another terminal try:',
        `  ${cmd} add examples/python-sweep/distribute-jobs.yaml`,
        `  ${cmd} status`,
        `  ${cmd} pull examples/python-sweep/distribute-jobs.yaml --out results`,
        // The page URL without its ?token=: terminals end up in scrollback, logs and screen shares.
        ...(running ? [`  open http://127.0.0.1:${running.control.port}/   (status page; its token is in ${path.join(opts.workdir, 'control-token')}; or: ${cmd} pause --duration 30m)`] : []),
        'Ctrl-C stops both.', '',
      ].join('\n'));
      await stopSignal();
      await running?.stop();
      await head.close();
      process.exit(0);
    }));
}
