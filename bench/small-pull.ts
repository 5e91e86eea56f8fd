/**
 * Issue 10's small-file pull: 200 jobs × 10 files of 4 KB (40 × 10 with --quick) through a real
 * head and 2 real agents, then the real CLI pulls the batch, alternating with `cp -r` of the same
 * archive folder (each round into a fresh folder, the order alternating, each step after `sync`),
 * so both see the same load. Used by peers.ts (one round, in its table) and on its own
 * (`--only small-pull`, three rounds, medians).
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { BIN, listFiles, startAgentProc, startHeadProc, stop, tempDir, waitBatchEnded, type HeadProc, type Proc } from '../test/helpers/cluster.ts';
import { addBatch, envFor, waitIdleNodes } from '../test/helpers/shell-batch.ts';
import { fixed, since, type Bench, type BenchOptions, type BenchResult } from './report.ts';

const run$ = promisify(execFile);

/** The batch config: `jobs` jobs, each saving 10 random files of 4 KB. */
export function smallFilesConfig(dir: string, jobs: number): string {
  const write10 = 'for i in 0 1 2 3 4 5 6 7 8 9; do head -c 4096 /dev/urandom > distribute_save/f$i.bin; done';
  const file = path.join(dir, 'smallfiles.yaml');
  fs.writeFileSync(file, `meta:\n  batch_name: smallfiles\n  namespace: bench\n  capabilities: []\nshell:\n  jobs:\n${Array.from({ length: jobs }, (_, i) => `    - { name: j${i}, command: ${JSON.stringify(write10)} }`).join('\n')}\n`);
  return file;
}

/** One `distribute pull --json` of the batch into `out`; resolves with its wall time and its CPU time (user + sys). */
function timedPull(head: HeadProc, id: string, out: string): Promise<{ ms: number; cpuMs: number }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    // Node does not report a child's CPU time: /proc/PID/stat is polled while it lives (the last ≤ 10 ms are missed).
    const child = spawn(process.execPath, [...(process.env.BENCH_PULL_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PULL_PROF}`] : []), BIN, 'pull', '--batch', id, '--out', out, '--json'], { env: { ...process.env, ...envFor(head) }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let cpuMs = 0;
    const tick = Number(process.env.CLK_TCK ?? 100);
    const poll = setInterval(() => {
      try {
        const f = fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
        cpuMs = ((Number(f[11]) + Number(f[12])) * 1000) / tick;
      } catch { /* exited */ }
    }, 10);
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('exit', (code) => {
      clearInterval(poll);
      const ms = since(start);
      if (code !== 0) reject(new Error(`pull exited ${code}: ${stderr}`));
      else resolve({ ms, cpuMs });
    });
  });
}

async function timedCp(from: string, to: string): Promise<number> {
  const start = performance.now();
  await run$('cp', ['-r', from, to]);
  return since(start);
}

export interface PullRound { pullMs: number; pullCpuMs: number; cpMs: number; files: number }

/**
 * `rounds` × (pull and `cp -r`, cp first in every other round), each into a fresh folder under
 * `dir`; checks every file arrived. Each timed step starts after `sync`: the batch just archived
 * 2,600 files and each step writes as many, and the kernel writing those dirty pages back (on
 * the same 2 cores, through the same journal) would otherwise slow whichever step came next.
 */
export async function pullVsCp(head: HeadProc, id: string, dir: string, expected: number, rounds: number): Promise<PullRound[]> {
  const archive = path.join(head.dataDir, 'archive', 'bench', 'smallfiles');
  const out: PullRound[] = [];
  for (let r = 0; r < rounds; r++) {
    const target = path.join(dir, `pulled-${r}`);
    const pull = async () => {
      await run$('sync');
      const pulled = await timedPull(head, id, target);
      const files = listFiles(target).filter((f) => /\/f\d\.bin$/.test(f)).length;
      if (files !== expected) throw new Error(`pulled ${files} of ${expected} files`);
      return { ...pulled, files };
    };
    const cp = async () => {
      await run$('sync');
      return timedCp(archive, path.join(dir, `cp-${r}`));
    };
    let pulled: Awaited<ReturnType<typeof pull>>;
    let cpMs: number;
    if (r % 2 === 0) {
      pulled = await pull();
      cpMs = await cp();
    } else {
      cpMs = await cp();
      pulled = await pull();
    }
    out.push({ pullMs: pulled.ms, pullCpuMs: pulled.cpuMs, cpMs, files: pulled.files });
    fs.rmSync(target, { recursive: true, force: true });
    fs.rmSync(path.join(dir, `cp-${r}`), { recursive: true, force: true });
  }
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function run(opts: BenchOptions): Promise<BenchResult> {
  const jobs = opts.quick ? 40 : 200;
  const rounds = 3;
  const dir = tempDir('bench-small-pull');
  let head: HeadProc | null = null;
  const agents: Proc[] = [];
  try {
    head = await startHeadProc(path.join(dir, 'head'), { nodeTimeout: '30s' });
    for (let i = 0; i < 2; i++) agents.push(startAgentProc(head, `pull-${i}`, path.join(dir, `agent-${i}`)));
    await waitIdleNodes(head, 2, 60_000);
    opts.log(`small-pull: ${jobs} jobs × 10 files of 4 KB`);
    const { id } = await addBatch(head, smallFilesConfig(dir, jobs));
    await waitBatchEnded(head, id, 600_000);
    opts.log(`small-pull: ${rounds} rounds of pull and cp -r`);
    const r = await pullVsCp(head, id, dir, jobs * 10, rounds);
    const pullMs = median(r.map((x) => x.pullMs));
    const cpMs = median(r.map((x) => x.cpMs));
    const rows = [['round', 'pull (s)', 'pull CPU (s)', 'files/s', '`cp -r` (s)', 'cp files/s', 'cp time ÷ pull time']];
    r.forEach((x, i) => rows.push([String(i + 1), fixed(x.pullMs / 1000, 2), fixed(x.pullCpuMs / 1000, 2), fixed(x.files / (x.pullMs / 1000), 0), fixed(x.cpMs / 1000, 2), fixed(x.files / (x.cpMs / 1000), 0), fixed(x.cpMs / x.pullMs, 2)]));
    rows.push(['median', fixed(pullMs / 1000, 2), '', fixed((jobs * 10) / (pullMs / 1000), 0), fixed(cpMs / 1000, 2), fixed((jobs * 10) / (cpMs / 1000), 0), fixed(cpMs / pullMs, 2)]);
    return {
      title: `Small-file pull: ${jobs * 10} files of 4 KB (${jobs} jobs × 10) vs \`cp -r\``,
      table: rows,
      notes: [
        `pull vs cp -r (medians): ${fixed(cpMs / pullMs, 2)}× (target ≥ 0.5×, ${cpMs / pullMs >= 0.5 ? 'met' : 'MISSED'})`,
        'pull: the compiled CLI (`distribute pull --batch ID --out DIR --json`, start-up included) against a real head on loopback, into an empty folder each round; every file is sha256-checked and renamed out of `.partial`. CPU = user + sys of the CLI process from /proc.',
        `\`cp -r\` copies the batch's archive folder (the same ${jobs * 10} files plus each job's logs and result.json, which the pull also brings); cp goes first in every other round, and each timed step starts after \`sync\`, so the kernel's writeback of the files the batch or the step before wrote slows neither.`,
      ],
    };
  } finally {
    for (const a of agents) await stop(a);
    if (head) await stop(head);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export const bench: Bench = { name: 'small-pull', run };
