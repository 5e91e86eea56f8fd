/**
 * Test helpers for the fault-tolerance integration tests (bench/ uses them too): shell batch configs written on the fly,
 * CLI environments per user, job processes found in /proc, and a run counter shared by jobs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { routes } from '../../shared/api/routes.ts';
import { untilHead } from './head-watch.ts';
import { api, cli, startAgentProc, stop, tempDir, type CliResult, type HeadProc, type Proc } from './cluster.ts';

export interface ShellBatchOptions {
  name: string;
  namespace?: string;
  jobs: { name: string; command: string; request?: Record<string, number> }[];
  capabilities?: string[];
  resources?: Record<string, number>;
  /** `meta.request`: what each job occupies (absent: the whole node). */
  request?: Record<string, number>;
  maxRetries?: number;
  build?: string;
}

/** Writes a shell batch config (JSON is valid YAML) into `dir` and returns its path. */
export function writeShellBatch(dir: string, opts: ShellBatchOptions): string {
  const config = {
    meta: {
      batch_name: opts.name, namespace: opts.namespace ?? 'ft', capabilities: opts.capabilities ?? [],
      ...(opts.resources ? { resources: opts.resources } : {}),
      ...(opts.request ? { request: opts.request } : {}),
      ...(opts.maxRetries !== undefined ? { max_retries: opts.maxRetries } : {}),
    },
    shell: { initialize: opts.build ? { build: opts.build } : {}, jobs: opts.jobs },
  };
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${opts.name}.yaml`);
  fs.writeFileSync(file, JSON.stringify(config, null, 1));
  return file;
}

/** CLI environment for the admin of `head`, or for a user token. */
export function envFor(head: { url: string; adminToken: string }, token = head.adminToken): Record<string, string> {
  return { DISTRIBUTE_HEAD: head.url, DISTRIBUTE_TOKEN: token };
}

/** `distribute add FILE --json` as `token`; throws with the CLI's output when it fails. */
export async function addBatch(head: HeadProc, file: string, token = head.adminToken): Promise<{ id: string; nodes: { node: string; ok: boolean; reasons: string[] }[] }> {
  const r = await cli(['add', file, '--json'], envFor(head, token));
  if (r.code !== 0) throw new Error(`add failed (${r.code}): ${r.stderr}${r.stdout}`);
  return JSON.parse(r.stdout);
}

/** `distribute user add NAME --json`: the new user's token. */
export async function addUser(head: HeadProc, name: string): Promise<string> {
  const r: CliResult = await cli(['user', 'add', name, '--json'], envFor(head));
  if (r.code !== 0) throw new Error(`user add failed: ${r.stderr}`);
  return JSON.parse(r.stdout).token;
}

/** Waits until `count` nodes are idle on the head. */
export async function waitIdleNodes(head: HeadProc, count: number, timeoutMs = 60_000): Promise<void> {
  await untilHead(head, (v) => v.nodes.filter((n) => n.state === 'idle').length === count, `${count} idle nodes`, timeoutMs);
}

/** One batch job as the head shows it. */
export async function jobOf(head: HeadProc, batch: string, job: string): Promise<any> {
  const r = await api(head, routes.batch(batch));
  return r.body.jobs?.find((j: { name: string }) => j.name === job);
}

/** Pids of live processes whose job marker (DISTRIBUTE_JOB_MARKER) lies under `workdir`. */
export function jobProcessesUnder(workdir: string): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state === 'Z' || state === 'X') continue;
      const env = fs.readFileSync(`/proc/${name}/environ`, 'latin1').split('\0');
      if (env.some((e) => e.startsWith('DISTRIBUTE_JOB_MARKER=') && e.includes(workdir))) out.push(Number(name));
    } catch { /* gone or not ours */ }
  }
  return out;
}

/** Lines of a counter file that jobs append their name to, counted per name. */
export function runCounts(file: string): Map<string, number> {
  const counts = new Map<string, number>();
  if (!fs.existsSync(file)) return counts;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const name = line.trim().split(' ')[0];
    if (name) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

/** Agents `names` (each in a fresh workdir) joined to `head` and idle. */
export async function startIdleAgents(head: HeadProc, names: string[]): Promise<{ agents: Proc[]; workdirs: string[] }> {
  const workdirs = names.map((n) => tempDir(n));
  const agents = names.map((n, i) => startAgentProc(head, n, workdirs[i]));
  await waitIdleNodes(head, names.length);
  return { agents, workdirs };
}

/** Stop agents and head, then SIGKILL any job process still running under the workdirs. */
export async function stopAll(head: HeadProc | undefined, agents: Proc[], workdirs: string[]): Promise<void> {
  for (const a of agents) await stop(a);
  if (head) await stop(head);
  for (const wd of workdirs) for (const pid of jobProcessesUnder(wd)) process.kill(pid, 'SIGKILL');
}
