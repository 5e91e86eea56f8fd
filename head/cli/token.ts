/**
 * `distribute token rotate-enrollment` (admin): replace the agent enrollment token (the head's
 * `agent-token` file) and print the new one. Nodes that enrolled already keep working with their
 * own credentials; only agents that still have to enroll need the new token.
 */
import type { Command } from 'commander';
import { action, connectHead, must, withHeadOptions, type HeadOptions } from './client.ts';

export function register(program: Command): void {
  const token = program.command('token').description('manage the head\'s tokens (admin)');
  withHeadOptions(token
    .command('rotate-enrollment')
    .description('replace the agent enrollment token and print the new one; enrolled nodes are not affected')
    .option('--json', 'print JSON'))
    .action(action('token rotate-enrollment', async (opts: HeadOptions & { json?: boolean }) => {
      const r = must(await connectHead(opts).rotateEnrollment());
      if (opts.json) process.stdout.write(JSON.stringify(r) + '\n');
      else process.stdout.write(`${r.token}\n`);
    }));
}
