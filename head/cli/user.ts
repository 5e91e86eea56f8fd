/** `distribute user add NAME` (admin): create a user and print its token; `user list` lists them with their admin flag. */
import type { Command } from 'commander';
import { action, connectHead, must, table, withHeadOptions, type HeadOptions } from './client.ts';

/** `user list` as a table: every user with an explicit admin column (yes/no) and creation date. */
export function userTable(users: { name: string; admin: boolean; createdAt: number }[]): string {
  if (!users.length) return 'no users yet (distribute user add NAME creates one); the head\'s admin token is always an admin\n';
  return table([['user', 'admin', 'created'], ...users.map((u) => [u.name, u.admin ? 'yes' : 'no', new Date(u.createdAt).toISOString().slice(0, 16).replace('T', ' ')])]);
}

export function register(program: Command): void {
  const user = program.command('user').description('manage users (admin)');
  withHeadOptions(user
    .command('add')
    .argument('<name>', 'user name')
    .description('create a user and print its token (shown once)')
    .option('--admin', 'make the user an admin')
    .option('--json', 'print JSON'))
    .action(action('user add', async (name: string, opts: HeadOptions & { admin?: boolean; json?: boolean }) => {
      const r = must(await connectHead(opts).createUser({ name, admin: opts.admin === true }));
      if (opts.json) process.stdout.write(JSON.stringify(r) + '\n');
      else process.stdout.write(`${r.token}\n`);
    }));
  withHeadOptions(user.command('list').description('list users').option('--json', 'print JSON'))
    .action(action('user list', async (opts: HeadOptions & { json?: boolean }) => {
      const r = must(await connectHead(opts).users());
      if (opts.json) process.stdout.write(JSON.stringify(r.users, null, 2) + '\n');
      else process.stdout.write(userTable(r.users));
    }));
}
