/**
 * A/B of the agent's CPU per trivial job between two builds, side by side under one head, for a
 * shared, noisy machine: both agents see the same load at the same moment, which interleaved runs
 * cannot promise. Not part of `npm run bench` (it compares two checkouts):
 *
 *   node --import tsx bench/agent-ab.ts [--jobs N] [--rounds R] LABEL_A REPO_A LABEL_B REPO_B
 *
 * Each REPO is a built checkout (`npm run build` there). Per round: a head from this repository,
 * one agent from each REPO (their names and start order swapped every round), N `sh -c true`
 * jobs added and waited for. Each agent's user + system CPU is read from /proc once both nodes
 * are idle and again after the batch, and divided by the jobs that agent ran, so the agent's
 * start-up is not counted (V8's warm-up is). docs/benchmarks.md reports figures from this.
 *
 *   --tree            count the agent's whole process tree: the agent, its job starter and the
 *                     jobs (their shells), as ended children are counted into their parent
 *   --env-a K=V, --env-b K=V   environment for side A or B's agent (e.g. DISTRIBUTE_JOB_STARTER=node
 *                     against the default, with the same REPO twice)
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { cli, startHeadProc, stop, tempDir, type Proc } from '../test/helpers/cluster.ts';
import { envFor, waitIdleNodes, writeShellBatch } from '../test/helpers/shell-batch.ts';
import { readProcStats } from './proc-stats.ts';

const { values, positionals } = parseArgs({
  options: { jobs: { type: 'string', default: '1000' }, rounds: { type: 'string', default: '4' }, tree: { type: 'boolean', default: false }, 'env-a': { type: 'string', multiple: true }, 'env-b': { type: 'string', multiple: true } },
  allowPositionals: true,
});
if (positionals.length !== 4) {
  process.stderr.write('usage: node --import tsx bench/agent-ab.ts [--jobs N] [--rounds R] LABEL_A REPO_A LABEL_B REPO_B\n');
  process.exit(2);
}
const envOf = (list: string[] | undefined) => Object.fromEntries((list ?? []).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
const sides = [
  { label: positionals[0], repo: path.resolve(positionals[1]), env: envOf(values['env-a']) },
  { label: positionals[2], repo: path.resolve(positionals[3]), env: envOf(values['env-b']) },
];
const jobs = Number(values.jobs);
const rounds = Number(values.rounds);

/** A `distribute agent` of the build in `repo`. */
function agentOf(repo: string, env: Record<string, string>, head: { url: string; agentTokenFile: string }, name: string): Proc {
  const child = spawn(process.execPath, [path.join(repo, 'bin/distribute.js'), 'agent', '--head', head.url, '--token-file', head.agentTokenFile,
    '--workdir', tempDir(`ab-${name}`), '--name', name, '--control-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  return { child, output: () => out, exited: new Promise((r) => child.on('exit', r)) } as Proc;
}

/** CPU ms of `pid`, and with --tree of its ended children and of its live descendants too. */
function treeMs(pid: number): number {
  const own = readProcStats(pid)?.cpuSeconds ?? NaN;
  if (!values.tree) return own * 1000;
  let ms = own * 1000;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ms += (Number(rest[13]) + Number(rest[14])) * 10;
    for (const child of fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) ms += treeMs(Number(child));
  } catch {
    // gone meanwhile
  }
  return ms;
}
const cpuMs = (p: Proc) => treeMs(p.child.pid!);
const totals = new Map<string, { ms: number; jobs: number; rounds: number[] }>(sides.map((s) => [s.label, { ms: 0, jobs: 0, rounds: [] }]));
for (let round = 0; round < rounds; round++) {
  const dir = tempDir('agent-ab');
  const head = await startHeadProc(path.join(dir, 'head'), { nodeTimeout: '30s' });
  const order = round % 2 === 0 ? sides : [...sides].reverse();
  const agents = order.map((side, i) => ({ side, name: `n${i}`, proc: agentOf(side.repo, side.env, head, `n${i}`) }));
  try {
    await waitIdleNodes(head, 2, 60_000);
    const idle = agents.map((a) => cpuMs(a.proc));
    const file = writeShellBatch(dir, { name: 'ab', jobs: Array.from({ length: jobs }, (_, i) => ({ name: `j${i}`, command: 'true' })) });
    const added = await cli(['add', file, '--json'], envFor(head));
    if (added.code !== 0) throw new Error(added.stderr);
    const addedJson = JSON.parse(added.stdout) as { id?: string; batch?: { id: string } };
    const id = addedJson.id ?? addedJson.batch!.id;
    const waited = await cli(['wait', id], envFor(head));
    if (waited.code !== 0) throw new Error(`wait: ${waited.stderr}`);
    await new Promise((r) => setTimeout(r, 600)); // the last acknowledgements and saves
    const status = JSON.parse((await cli(['status', id, '--json'], envFor(head))).stdout) as { jobs?: { node: string }[]; batch?: { jobs: { node: string }[] } };
    const ended = status.jobs ?? status.batch?.jobs ?? [];
    const line = agents.map((a, i) => {
      const ran = ended.filter((j) => j.node === a.name).length;
      const ms = cpuMs(a.proc) - idle[i];
      const t = totals.get(a.side.label)!;
      t.ms += ms;
      t.jobs += ran;
      t.rounds.push(ms / ran);
      return `${a.side.label} ${ran} jobs ${(ms / ran).toFixed(2)} ms/job`;
    });
    process.stdout.write(`round ${round + 1}, load ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}: ${line.join(' | ')}\n`);
  } finally {
    for (const a of agents) await stop(a.proc);
    await stop(head);
  }
}
for (const [label, t] of totals) {
  process.stdout.write(`${label}: ${t.jobs} jobs, ${(t.ms / t.jobs).toFixed(3)} ms of ${values.tree ? 'agent + starter + job' : 'agent'} CPU per job (rounds ${t.rounds.map((x) => x.toFixed(2)).join(' ')})\n`);
}
