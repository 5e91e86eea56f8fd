/** `distribute agent`: run a compute node headless (the tray app hosts the same core). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_CONTROL_PORT } from '../../electron/agent/control-server.ts';
import { startAgent } from '../../electron/agent/start-agent.ts';
import { trustCaFrom } from '../../electron/agent/lab-ca.ts';
import { settingsProblem } from '../../electron/agent/agent-settings.ts';
import { parseDuration } from '../../shared/duration.ts';
import { stopSignal } from './stop-signals.ts';
import { action, CliError, EXIT, parseHeadUrl, parsePort } from './client.ts';
import { parseCpus, parseGpuList, parseMemoryGb, type Offer } from '../../electron/agent/offer.ts';

/** `--cpus`, `--memory-gb`, `--gpus` as an offer; a bad value is a usage error naming the option. */
export function parseOfferOptions(opts: { cpus?: string; memoryGb?: string; gpus?: string }): Offer {
  const offer: Offer = {};
  if (opts.cpus !== undefined) {
    const r = parseCpus(opts.cpus);
    if (!r.ok) throw new CliError(`--cpus: ${r.error}`, EXIT.usage);
    offer.cpus = r.value;
  }
  if (opts.memoryGb !== undefined) {
    const r = parseMemoryGb(opts.memoryGb);
    if (!r.ok) throw new CliError(`--memory-gb: ${r.error}`, EXIT.usage);
    offer.memoryGb = r.value;
  }
  if (opts.gpus !== undefined) {
    const r = parseGpuList(opts.gpus);
    if (!r.ok) throw new CliError(`--gpus: ${r.error}`, EXIT.usage);
    offer.gpus = r.value;
  }
  return offer;
}

export function register(program: Command): void {
  program
    .command('agent')
    .description('run this machine as a compute node: connect to the head, run jobs, upload results')
    .option('--head <url>', 'head URL; http:// is assumed without a scheme', process.env.DISTRIBUTE_HEAD ?? 'http://127.0.0.1:8952')
    .option('--ca <file>', 'trust this lab CA certificate for an https head, besides the system\'s (env DISTRIBUTE_CA)')
    .requiredOption('--token-file <file>', 'file holding the agent join token (the head\'s agent-token)')
    .option('--workdir <dir>', 'folder for inputs, batch folders and runs', path.join(os.homedir(), '.distribute', 'agent'))
    .option('--name <name>', 'node name shown on the head', os.hostname())
    .option('--tag <tag...>', 'capability tags this node offers (repeatable)', [])
    .option('--owner <user>', 'user who owns this workstation (may pause it through the head)')
    .option('--python <path>', 'python interpreter for python batches', 'python3')
    .option('--max-pause <duration>', 'longest pause; a pause until resumed also ends here', '4h')
    .option('--at-max-pause <what>', 'a job still paused at the maximum: resume (continue it) or requeue (hand it back to the head)', 'resume')
    .option('--on-exit <what>', 'stopping the agent (Ctrl-C, SIGTERM) with a job running: requeue (kill it, the head runs it elsewhere) or keep (it runs on; the next agent started here adopts it)', 'requeue')
    .option('--cpus <n>', 'cores offered to jobs (default: every physical core); keeps the rest free for the person at the desk')
    .option('--memory-gb <gib>', 'memory offered to jobs, in GiB (default: all of it)')
    .option('--gpus <list>', 'GPUs offered to jobs, by number as the status page lists them: 0,1 or none (default: all)')
    .option('--control-port <port>', 'port of the local control endpoint and status page on 127.0.0.1 (0 = any free port)', String(DEFAULT_CONTROL_PORT))
    .action(action('agent', async (opts: { head: string; tokenFile: string; workdir: string; name: string; tag: string[]; owner?: string; python: string; maxPause: string; atMaxPause: string; onExit: string; controlPort: string; cpus?: string; memoryGb?: string; gpus?: string; ca?: string }) => {
      const headUrl = parseHeadUrl(opts.head);
      let token: string;
      try {
        token = fs.readFileSync(opts.tokenFile, 'utf8').trim();
      } catch (err) {
        throw new CliError(`--token-file: cannot read '${opts.tokenFile}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.usage);
      }
      const maxPause = parseDuration(opts.maxPause);
      if (!maxPause.ok) throw new CliError(`--max-pause: ${maxPause.error}`, EXIT.usage);
      if (opts.atMaxPause !== 'resume' && opts.atMaxPause !== 'requeue') throw new CliError(`--at-max-pause: '${opts.atMaxPause}' is not resume or requeue`, EXIT.usage);
      if (opts.onExit !== 'requeue' && opts.onExit !== 'keep') throw new CliError(`--on-exit: '${opts.onExit}' is not requeue or keep`, EXIT.usage);
      const controlPort = parsePort('--control-port', opts.controlPort);
      const problem = settingsProblem({ name: opts.name, owner: opts.owner, tags: opts.tag });
      if (problem) throw new CliError(problem, EXIT.usage);
      const caProblem = trustCaFrom(opts.ca);
      if (caProblem) throw new CliError(caProblem, EXIT.usage);
      const offer = parseOfferOptions(opts);
      const running = await startAgent({
        headUrl, token, workdir: opts.workdir, name: opts.name, tags: opts.tag, owner: opts.owner, python: opts.python,
        maxPauseMs: maxPause.ms, atMaxPause: opts.atMaxPause, onExit: opts.onExit, controlPort, ...offer,
      });
      const agent = running.agent;
      process.stderr.write(`distribute agent '${agent.name}' working in ${opts.workdir}, head ${headUrl}\n`);
      const caps = agent.snapshot().capabilities;
      process.stderr.write(`offering ${caps.physicalCores} cores, ${(caps.memoryBytes / 1024 ** 3).toFixed(1)} GiB, ${caps.gpus.length ? caps.gpus.map((g, i) => `GPU ${i} ${g.vendor} ${g.model}`).join(', ') : 'no GPU'}\n`);
      process.stderr.write(`status page and control endpoint: http://127.0.0.1:${running.control.port}/ (token in ${path.join(opts.workdir, 'control-token')}; distribute pause|resume use it)\n`);
      await stopSignal();
      await running.stop();
      // A job kept running (--on-exit keep) still has handles here (its process, log tails): it
      // lives on in its own session, so leave without waiting for it.
      process.exit(0);
    }));
}
