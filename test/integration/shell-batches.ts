/**
 * Shell batch configs written on the fly for integration tests: they need no interpreter and
 * start instantly, so tests spend their time on what they check.
 */
import fs from 'node:fs';
import path from 'node:path';
import { api, tempDir, type HeadProc } from '../helpers/cluster.ts';

export interface ShellJob { name: string; command: string }

/** Write `distribute-jobs.yaml` for a shell batch into a fresh folder; returns its path. */
export function writeShellConfig(namespace: string, batch: string, jobs: ShellJob[], opts: { build?: string; files?: Record<string, string | Buffer>; matrix?: string; share?: 'lab' } = {}): string {
  const dir = tempDir(`cfg-${batch}`);
  for (const [name, content] of Object.entries(opts.files ?? {})) fs.writeFileSync(path.join(dir, name), content);
  const lines = [
    'meta:', `  batch_name: ${batch}`, `  namespace: ${namespace}`, '  capabilities: []',
    ...(opts.matrix ? [`  matrix: ${JSON.stringify(opts.matrix)}`] : []),
    ...(opts.share ? [`  share: ${opts.share}`] : []),
    'shell:', '  initialize:',
    ...(opts.build ? [`    build: ${JSON.stringify(opts.build)}`] : []),
    `    required_files: [${Object.keys(opts.files ?? {}).join(', ')}]`,
    '  jobs:',
    ...jobs.flatMap((j) => [`    - name: ${j.name}`, `      command: ${JSON.stringify(j.command)}`]),
  ];
  const file = path.join(dir, 'distribute-jobs.yaml');
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** Create a user on the head; returns its token. */
export async function addUser(head: HeadProc, name: string): Promise<string> {
  const r = await api(head, '/api/users', { body: { name } });
  if (r.status !== 201) throw new Error(`user add ${name}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.token as string;
}

/** Environment for `cli()` acting as the holder of `token`. */
export const envFor = (head: HeadProc, token = head.adminToken) => ({ DISTRIBUTE_HEAD: head.url, DISTRIBUTE_TOKEN: token });
