/**
 * `distribute pause [--duration 1h]`: pause this machine's agent (the job's whole process tree is
 * stopped, no new work is taken) through its local control endpoint; `--node NAME` asks the head
 * to pause that node instead (admin or the node's owner).
 */
import type { Command } from 'commander';
import { action, connectHead } from './client.ts';
import { callLocalAgent, headAnswer, describePause, durationArg, withControlOptions, type ControlOptions } from './local-control.ts';

export function register(program: Command): void {
  withControlOptions(program
    .command('pause')
    .description('pause the job on this machine (or on --node NAME via the head); it continues by itself after --duration')
    .option('--duration <duration>', 'how long: 45s, 30m, 1h30m, or until-resumed (always capped by the agent\'s --max-pause)', '1h'))
    .action(action('pause', async (opts: ControlOptions & { duration: string }) => {
      const ms = durationArg(opts.duration);
      const duration = ms === null ? 'until-resumed' : opts.duration;
      if (opts.node) {
        const r = headAnswer(await connectHead(opts).pauseNode(opts.node, duration));
        if (opts.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
        else process.stdout.write(`asked the head to pause: ${describePause(r.node, { until: r.pausedUntil })}\n`);
        return;
      }
      const s = await callLocalAgent(opts, (agent) => agent.pause(duration));
      if (opts.json) {
        process.stdout.write(JSON.stringify(s, null, 2) + '\n');
        return;
      }
      const capped = ms !== null && s.pause?.until !== null && s.pause?.until !== undefined && s.pause.until < s.now + ms - 1000;
      process.stdout.write(`${describePause(s.name, s.pause, s.now)}${capped ? ' (capped at the agent\'s maximum)' : ''}\n`);
      const c = s.current;
      if (c) process.stdout.write(`${c.phase === 'running' ? 'stopped' : `held before it started (${c.phase})`}: ${c.namespace}/${c.batch} ${c.job} (owner ${c.owner})\n`);
    }));
}
