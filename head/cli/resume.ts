/**
 * `distribute resume`: end the pause of this machine's agent (its job continues, new work is taken
 * again); `--node NAME` asks the head to resume that node instead (admin or the node's owner).
 */
import type { Command } from 'commander';
import { action, connectHead } from './client.ts';
import { callLocalAgent, headAnswer, withControlOptions, type ControlOptions } from './local-control.ts';

/** What happens to the node's job now: it continues only if it had started running. */
export function afterResume(job: { namespace: string; batch: string; job: string; phase: string }): string {
  const name = `${job.namespace}/${job.batch} ${job.job}`;
  return job.phase === 'running' ? `${name} continues` : `${name} had not started (it was ${job.phase}); it goes on now`;
}

export function register(program: Command): void {
  withControlOptions(program
    .command('resume')
    .description('end a pause on this machine (or on --node NAME via the head): the job continues'))
    .action(action('resume', async (opts: ControlOptions) => {
      if (opts.node) {
        const r = headAnswer(await connectHead(opts).resumeNode(opts.node));
        if (opts.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
        else process.stdout.write(`asked the head to resume node '${r.node}'\n`);
        return;
      }
      const s = await callLocalAgent(opts, (agent) => agent.resume());
      if (opts.json) {
        process.stdout.write(JSON.stringify(s, null, 2) + '\n');
        return;
      }
      process.stdout.write(`node '${s.name}' resumed${s.current ? `; ${afterResume(s.current)}` : ''}\n`);
    }));
}
