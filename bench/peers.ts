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
 *
 * Raw spawn, task-spooler and distribute run three rounds each (one with --quick), interleaved
 * (raw, tsp, distribute; raw, tsp, distribute; ...), and each row is the median round, so one
 * burst of another process's work does not decide a ratio; every round is listed in the notes.
 * distribute's head and agents start once, before its first round (that round is theirs fresh, as
 * after an upgrade; the others find them warm, as a lab's long-running ones are). SLURM runs once
 * (its start and stop take a minute), before the rounds; the pull runs three rounds too.
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
async function taskSpooler(n: number, dir: string, round: number, log: (l: string) => void): Promise<number | string> {
  if (!fs.existsSync('/usr/bin/tsp')) {
    if (process.getuid?.() !== 0) return 'tsp is not installed and this is not root';
    log('peers: installing task-spooler from Debian');
    try { await sh('apt-get', ['install', '-y', '-qq', 'task-spooler']); } catch (err) { return `apt-get install task-spooler failed: ${(err as Error).message}`; }
  }
  const tsDir = path.join(dir, `tsp-${round}`);
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

/** The median of `values` (the lower middle one for an even count). */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

export async function run(opts: BenchOptions): Promise<BenchResult> {
  const n = opts.quick ? 60 : 300;
  const rounds = opts.quick ? 1 : 3;
  const pullJobs = opts.quick ? 40 : 200;
  const dir = tempDir('bench-peers');
  const notes: string[] = [];
  /** Wall ms of each round, by runner (insertion order is the table's). */
  const walls = new Map<string, number[]>();
  const record = (label: string, ms: number) => walls.set(label, [...(walls.get(label) ?? []), ms]);
  const RAW = 'raw spawn, 2 at a time';
  const TSP = 'task-spooler, 2 slots';
  const SLURM = 'SLURM, one node (array, %2)';
  const DIST = 'distribute, head + 2 agents (add → wait)';
  let head: HeadProc | null = null;
  const agents: Proc[] = [];
  let pulls: { pullMs: number; cpMs: number; files: number }[] = [];
  let cpuPerJob = 'distribute CPU per job: not measured';
  try {
    await rawSpawn(10);
    walls.set(RAW, []);
    walls.set(TSP, []);
    opts.log('peers: SLURM');
    const slurm = await runSlurm(n, dir, opts.log);
    if (typeof slurm.ms === 'number') record(SLURM, slurm.ms);
    notes.push(...slurm.notes);

    opts.log('peers: starting a distribute head + 2 agents');
    head = await startHeadProc(path.join(dir, 'head'), { nodeTimeout: '30s' });
    for (let i = 0; i < WORKERS; i++) agents.push(startAgentProc(head, `peer-${i}`, path.join(dir, `agent-${i}`)));
    await waitIdleNodes(head, WORKERS, 60_000);
    const cpu = () => [head!, ...agents].map((p) => readProcStats(p.child.pid!)?.cpuSeconds ?? NaN);
    const cpuBefore = cpu();
    let tspSkipped: string | null = null;
    for (let r = 0; r < rounds; r++) {
      opts.log(`peers: round ${r + 1} of ${rounds}: raw spawn, task-spooler, distribute (${n} jobs each)`);
      record(RAW, await rawSpawn(n));
      if (tspSkipped === null) {
        const tsp = await taskSpooler(n, dir, r, opts.log);
        if (typeof tsp === 'number') record(TSP, tsp);
        else tspSkipped = tsp;
      }
      record(DIST, (await addAndWait(head, shellConfig(dir, `peers-${r}`, Array.from({ length: n }, () => 'true')))).ms);
    }
    if (tspSkipped !== null) {
      walls.delete(TSP);
      notes.push(`task-spooler skipped: ${tspSkipped}.`);
    }
    const used = cpu().map((c, i) => (c - cpuBefore[i]) * 1000 / (n * rounds));
    cpuPerJob = `distribute CPU per trivial job (user + system, from /proc, over the ${rounds * n} jobs of all rounds): head ${fixed(used[0], 1)} ms, agents ${fixed(used.slice(1).reduce((a, b) => a + b, 0), 1)} ms (the job's own shells not counted).`;

    opts.log(`peers: ${pullJobs} jobs × 10 files of 4 KB, then pull vs cp -r (${rounds} rounds)`);
    const files = await addAndWait(head, smallFilesConfig(dir, pullJobs));
    await waitBatchEnded(head, files.id, 60_000);
    pulls = await pullVsCp(head, files.id, dir, pullJobs * 10, rounds);
  } finally {
    for (const a of agents) await stop(a);
    if (head) await stop(head);
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const rate = (ms: number) => n / (ms / 1000);
  const mid = new Map([...walls].filter(([, ms]) => ms.length).map(([label, ms]) => [label, median(ms)]));
  const raw = mid.get(RAW)!;
  const dist = mid.get(DIST)!;
  const rows = [['runner', 'N', 'wall (s)', 'jobs/s', '× raw spawn', 'distribute ÷ this']];
  for (const [label, ms] of mid) rows.push([label, String(n), fixed(ms / 1000, 2), fixed(rate(ms), 1), fixed(raw / ms, 2), fixed(ms / dist, 2)]);
  const pull = pulls.length ? { pullMs: median(pulls.map((p) => p.pullMs)), cpMs: median(pulls.map((p) => p.cpMs)), files: pulls[0].files } : null;
  const pullRatio = median(pulls.map((p) => p.cpMs / p.pullMs));
  if (pull) {
    rows.push([`pull ${pull.files} files of 4 KB (${pullJobs} jobs × 10)`, String(pull.files), fixed(pull.pullMs / 1000, 2), `${fixed(pull.files / (pull.pullMs / 1000), 0)} files/s`, '', '']);
    rows.push(['`cp -r` of the batch archive folder', String(pull.files), fixed(pull.cpMs / 1000, 2), `${fixed(pull.files / (pull.cpMs / 1000), 0)} files/s`, '', fixed(pullRatio, 2)]);
  }
  const target = (label: string, peer: string | undefined, goal: number) => {
    const ms = peer ? mid.get(peer) : undefined;
    if (ms === undefined) return `${label}: not measured (peer skipped)`;
    const ratio = ms / dist;
    return `${label}: ${fixed(ratio, 2)}× (target ≥ ${goal}×, ${ratio >= goal ? 'met' : 'MISSED'})`;
  };
  notes.unshift(
    '"distribute ÷ this" = distribute jobs/s ÷ this runner\'s jobs/s (for the pull rows: pull speed ÷ `cp -r` speed).',
    `Each row is the median of its rounds (SLURM: one round); jobs/s per round: ${[...walls].filter(([, ms]) => ms.length).map(([label, ms]) => `${label.split(',')[0]} ${ms.map((x) => fixed(rate(x), 0)).join(' / ')}`).join('; ')}. distribute's first round is its head's and agents' first batch.`,
    target('distribute vs raw spawn', RAW, 0.5),
    target('distribute vs task-spooler', TSP, 1),
    target('distribute vs SLURM', SLURM, 10),
    cpuPerJob,
    pull ? `pull of ${pull.files} small files vs cp -r: ${fixed(pullRatio, 2)}× (median of ${pulls.length} rounds: ${pulls.map((p) => fixed(p.cpMs / p.pullMs, 2)).join(' / ')}; target ≥ 0.5×, ${pullRatio >= 0.5 ? 'met' : 'MISSED'})` : 'pull: not measured',
    'distribute: `distribute server` + 2 × `distribute agent` (compiled bin, loopback); the wall time runs from spawning `distribute add CONFIG` to `distribute wait ID` exiting (2 CLI start-ups included; wait is told the end by the head\'s event stream).',
    'raw spawn: Node spawns `/bin/sh -c true`, 2 at a time. task-spooler: `tsp -n sh -c true` N times (own TS_SOCKET, TS_SLOTS=2, server started by the first call), then `tsp -w` until nothing is queued or running.',
  );
  return { title: `Peers: ${n} trivial jobs (\`sh -c true\`), 2 workers each`, table: rows, notes };
}

export const bench: Bench = { name: 'peers', run };
