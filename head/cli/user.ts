/** `distribute user add NAME` (admin): create a user and print its token. */
import type { Command } from 'commander';
import { routes } from '../../shared/api/routes.ts';
import { action, HeadClient, withHeadOptions, type HeadOptions } from './client.ts';

export function register(program: Command): void {
  const user = program.command('user').description('manage users (admin)');
  withHeadOptions(user
    .command('add')
    .argument('<name>', 'user name')
    .description('create a user and print its token (shown once)')
    .option('--admin', 'make the user an admin')
    .option('--json', 'print JSON'))
    .action(action('user add', async (name: string, opts: HeadOptions & { admin?: boolean; json?: boolean }) => {
      const r = await new HeadClient(opts).json<{ name: string; token: string }>(routes.users(), { body: { name, admin: opts.admin === true } });
      if (opts.json) process.stdout.write(JSON.stringify(r) + '\n');
      else process.stdout.write(`${r.token}\n`);
    }));
  withHeadOptions(user.command('list').description('list users').option('--json', 'print JSON'))
    .action(action('user list', async (opts: HeadOptions & { json?: boolean }) => {
      const r = await new HeadClient(opts).json<{ users: { name: string; admin: boolean }[] }>(routes.users());
      if (opts.json) process.stdout.write(JSON.stringify(r.users, null, 2) + '\n');
      else for (const u of r.users) process.stdout.write(`${u.name}${u.admin ? ' (admin)' : ''}\n`);
    }));
}
