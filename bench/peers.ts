/**
 * Issue 10 benchmark: the same N trivial jobs (`sh -c true`) through real peers on this machine,
 * 2 workers each, in one run:
 * - raw spawn from Node, 2 at a time (the floor);
 * - task-spooler (`tsp`) with 2 slots, its own TS_SOCKET in a temp folder;
 * - SLURM on one node (./peer-slurm.ts: an already answering cluster, or slurm-local-up.sh as root);
 * - distribute: a real head and 2 real agents, timed from `distribute add` to `distribute wait`
 *   returning, both CLI start-ups included.
 * Plus the small-file pull: 200 jobs × 10 files of 4 KB pulled by the CLI vs `cp -r` of the
 * batch's archive folder (./small-pull.ts; `--only small-pull` runs it alone, three rounds). A peer that cannot run here is skipped with the reason in the notes.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { BIN, startAgentProc, startHeadProc, stop, tempDir, waitBatchEnded, type HeadProc, type Proc } from '../test/helpers/cluster.ts';
import { envFor, waitIdleNodes } from '../test/helpers/shell-batch.ts';
import { runSlurm } from './peer-slurm.ts';
import { readProcStats } from './proc-stats.ts';
import { pullVsCp, smallFilesConfig } from './small-pull.ts';
import { fixed, since, type Bench, type BenchOptions, type BenchResult } from './report.ts';

const run$ = promisify(execFile);
const WORKERS = 2;

/** Runs `file args` to the end; rejects with its stderr when it fails. */
export async function sh(file: string, args: string[], env: Record<string, string> = {}, cwd?: string): Promise<string> {
  const r = await run$(file, args, { env: { ...process.env, ...env }, cwd, maxBuffer: 64 * 1024 ** 2 });
  return r.stdout;
}

function spawnTrue(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', 'true'], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`sh exited ${code}`))));
  });
}

async function rawSpawn(n: number): Promise<number> {
  const start = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: WORKERS }, async () => {
    while (next < n) { next++; await spawnTrue(); }
  }));
  return since(start);
}

/** task-spooler, 2 slots, its own server; wall ms or the reason it was skipped. */
async function taskSpooler(n: number, dir: string, log: (l: string) => void): Promise<number | string> {
  if (!fs.existsSync('/usr/bin/tsp')) {
    if (process.getuid?.() !== 0) return 'tsp is not installed and this is not root';
    log('peers: installing task-spooler from Debian');
    try { await sh('apt-get', ['install', '-y', '-qq', 'task-spooler']); } catch (err) { return `apt-get install task-spooler failed: ${(err as Error).message}`; }
  }
  const tsDir = path.join(dir, 'tsp');
  fs.mkdirSync(tsDir);
  const env = { TS_SOCKET: path.join(tsDir, 'socket'), TS_SLOTS: String(WORKERS), TMPDIR: tsDir, TS_MAXFINISHED: String(n + 10) };
  // Queue every job (`-n`: no output file), wait for the last; then for any still queued/running.
  const script = `set -e
for i in $(seq 1 ${n}); do last=$(tsp -n sh -c true); done
tsp -w "$last" >/dev/null || true
while :; do
  left=$(tsp -l | awk 'NR>1 && ($2=="running" || $2=="queued") {print $1}')
  [ -z "$left" ] && break
  for id in $left; do tsp -w "$id" >/dev/null || true; done
done`;
  try {
    const start = performance.now();
    await sh('/bin/bash', ['-c', script], env);
    const ms = since(start);
    const list = await sh('tsp', ['-l'], env);
    const ok = list.split('\n').slice(1).filter((l) => /^\d+\s+finished\s+\S+\s+0\s/.test(l)).length;
    if (ok !== n) throw new Error(`only ${ok} of ${n} tsp jobs finished with 0:\n${list}`);
    return ms;
  } finally {
    await sh('tsp', ['-K'], env).catch(() => undefined);
  }
}

function cliTimed(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `distribute add` then `distribute wait`, timed from the first CLI spawn to the second's exit. */
async function addAndWait(head: HeadProc, config: string): Promise<{ ms: number; id: string }> {
  const env = envFor(head);
  const start = performance.now();
  const added = await cliTimed(['add', config, '--json'], env);
  if (added.code !== 0) throw new Error(`add failed: ${added.stderr}`);
  const { id } = JSON.parse(added.stdout) as { id: string };
  const waited = await cliTimed(['wait', id], env);
  const ms = since(start);
  if (waited.code !== 0) throw new Error(`wait exited ${waited.code}: ${waited.stderr}${waited.stdout}`);
  return { ms, id };
}

function shellConfig(dir: string, name: string, jobs: string[]): string {
  const file = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(file, `meta:\n  batch_name: ${name}\n  namespace: bench\n  capabilities: []\nshell:\n  jobs:\n${jobs.map((c, i) => `    - { name: j${i}, command: ${JSON.stringify(c)} }`).join('\n')}\n`);
  return file;
}

export async function run(opts: BenchOptions): Promise<BenchResult> {
  const n = opts.quick ? 60 : 300;
  const pullJobs = opts.quick ? 40 : 200;
  const dir = tempDir('bench-peers');
  const notes: string[] = [];
  const walls = new Map<string, number>();
  let head: HeadProc | null = null;
  const agents: Proc[] = [];
  let pull: { pullMs: number; cpMs: number; files: number } | null = null;
  let cpuPerJob = 'distribute CPU per job: not measured';
  try {
    opts.log(`peers: raw spawn, ${n} jobs`);
    await rawSpawn(10);
    walls.set('raw spawn, 2 at a time', await rawSpawn(n));

    opts.log('peers: task-spooler');
    const tsp = await taskSpooler(n, dir, opts.log);
    if (typeof tsp === 'number') walls.set('task-spooler, 2 slots', tsp);
    else notes.push(`task-spooler skipped: ${tsp}.`);

    opts.log('peers: SLURM');
    const slurm = await runSlurm(n, dir, opts.log);
    if (typeof slurm.ms === 'number') walls.set('SLURM, one node (array, %2)', slurm.ms);
    notes.push(...slurm.notes);

    opts.log('peers: distribute head + 2 agents');
    head = await startHeadProc(path.join(dir, 'head'), { nodeTimeout: '30s' });
    for (let i = 0; i < WORKERS; i++) agents.push(startAgentProc(head, `peer-${i}`, path.join(dir, `agent-${i}`)));
    await waitIdleNodes(head, WORKERS, 60_000);
    const cpu = () => [head!, ...agents].map((p) => readProcStats(p.child.pid!)?.cpuSeconds ?? NaN);
    const cpuBefore = cpu();
    const trivial = await addAndWait(head, shellConfig(dir, 'peers', Array.from({ length: n }, () => 'true')));
    walls.set('distribute, head + 2 agents (add → wait)', trivial.ms);
    const used = cpu().map((c, i) => (c - cpuBefore[i]) * 1000 / n);
    cpuPerJob = `distribute CPU per trivial job (user + system, from /proc): head ${fixed(used[0], 1)} ms, agents ${fixed(used.slice(1).reduce((a, b) => a + b, 0), 1)} ms (the job's own shells not counted).`;

    opts.log(`peers: ${pullJobs} jobs × 10 files of 4 KB, then pull vs cp -r`);
    const files = await addAndWait(head, smallFilesConfig(dir, pullJobs));
    await waitBatchEnded(head, files.id, 60_000);
    pull = (await pullVsCp(head, files.id, dir, pullJobs * 10, 1))[0];
  } finally {
    for (const a of agents) await stop(a);
    if (head) await stop(head);
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const rate = (ms: number) => n / (ms / 1000);
  const raw = walls.get('raw spawn, 2 at a time')!;
  const dist = walls.get('distribute, head + 2 agents (add → wait)')!;
  const rows = [['runner', 'N', 'wall (s)', 'jobs/s', '× raw spawn', 'distribute ÷ this']];
  for (const [label, ms] of walls) rows.push([label, String(n), fixed(ms / 1000, 2), fixed(rate(ms), 1), fixed(raw / ms, 2), fixed(ms / dist, 2)]);
  if (pull) {
    rows.push([`pull ${pull.files} files of 4 KB (${pullJobs} jobs × 10)`, String(pull.files), fixed(pull.pullMs / 1000, 2), `${fixed(pull.files / (pull.pullMs / 1000), 0)} files/s`, '', '']);
    rows.push(['`cp -r` of the batch archive folder', String(pull.files), fixed(pull.cpMs / 1000, 2), `${fixed(pull.files / (pull.cpMs / 1000), 0)} files/s`, '', fixed(pull.cpMs / pull.pullMs, 2)]);
  }
  const target = (label: string, peer: string | undefined, goal: number) => {
    const ms = peer ? walls.get(peer) : undefined;
    if (ms === undefined) return `${label}: not measured (peer skipped)`;
    const ratio = ms / dist;
    return `${label}: ${fixed(ratio, 2)}× (target ≥ ${goal}×, ${ratio >= goal ? 'met' : 'MISSED'})`;
  };
  notes.unshift(
    '"distribute ÷ this" = distribute jobs/s ÷ this runner\'s jobs/s (for the pull rows: pull speed ÷ `cp -r` speed).',
    target('distribute vs raw spawn', 'raw spawn, 2 at a time', 0.5),
    target('distribute vs task-spooler', 'task-spooler, 2 slots', 1),
    target('distribute vs SLURM', 'SLURM, one node (array, %2)', 10),
    cpuPerJob,
    pull ? `pull of ${pull.files} small files vs cp -r: ${fixed(pull.cpMs / pull.pullMs, 2)}× (target ≥ 0.5×, ${pull.cpMs / pull.pullMs >= 0.5 ? 'met' : 'MISSED'})` : 'pull: not measured',
    'distribute: `distribute server` + 2 × `distribute agent` (compiled bin, loopback); the wall time runs from spawning `distribute add CONFIG` to `distribute wait ID` exiting (2 CLI start-ups included; wait is told the end by the head\'s event stream).',
    'raw spawn: Node spawns `/bin/sh -c true`, 2 at a time. task-spooler: `tsp -n sh -c true` N times (own TS_SOCKET, TS_SLOTS=2, server started by the first call), then `tsp -w` until nothing is queued or running.',
  );
  return { title: `Peers: ${n} trivial jobs (\`sh -c true\`), 2 workers each`, table: rows, notes };
}

export const bench: Bench = { name: 'peers', run };
