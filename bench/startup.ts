/**
 * Start-up cost of the `distribute` command (issue 9): `distribute --version` and `distribute
 * status` against a running head, each set against a bare `node -e 0` on the same machine in the
 * same run. Runs are interleaved round by round (node, --version, status, ...) so a load spike
 * hits every command alike; the table gives the median of 9 runs and its ratio to node's.
 * For context, the same commands run from the TypeScript sources through tsx (how every command
 * started before the compiled build).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, ROOT, startHeadProc, stop, tempDir } from '../test/helpers/cluster.ts';
import { envFor } from '../test/helpers/shell-batch.ts';
import { fixed, type Bench, type BenchOptions, type BenchResult } from './report.ts';

const RUNS = 9;
/** Target of issue 9: each command within this factor of `node -e 0`. */
const TARGET = 2;
const CLOCK_TICKS = 100;

/** CPU time of this process's reaped children so far (cutime + cstime), ms. */
function childCpuMs(): number {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(rest[13]) + Number(rest[14])) / CLOCK_TICKS) * 1000;
}

interface Subject {
  label: string;
  args: string[];
  env?: Record<string, string>;
  /** Compared with `node -e 0` against the target (the tsx rows are context only). */
  target: boolean;
  wall: number[];
  cpu: number[];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function runOnce(s: Subject): void {
  const cpu0 = childCpuMs();
  const start = performance.now();
  const r = spawnSync(process.execPath, s.args, { env: { ...process.env, ...s.env }, stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT });
  const wall = performance.now() - start;
  if (r.status !== 0) throw new Error(`${s.label} exited ${r.status}: ${r.stderr}`);
  s.wall.push(wall);
  s.cpu.push(childCpuMs() - cpu0);
}

export async function run(opts: BenchOptions): Promise<BenchResult> {
  const dir = tempDir('bench-startup');
  const head = await startHeadProc(path.join(dir, 'head'), { nodeTimeout: '30s' });
  const env = { ...envFor(head), DISTRIBUTE_DATA: path.join(dir, 'none') };
  const tsxMain = path.join(ROOT, 'head', 'cli', 'main.ts');
  const subjects: Subject[] = [
    { label: '`node -e 0`', args: ['-e', '0'], target: false },
    { label: '`distribute --version`', args: [BIN, '--version'], target: true },
    { label: '`distribute status` (running head)', args: [BIN, 'status'], env, target: true },
    { label: '`--version` from sources via tsx (before)', args: ['--import', 'tsx', tsxMain, '--version'], target: false },
    { label: '`status` from sources via tsx (before)', args: ['--import', 'tsx', tsxMain, 'status'], env, target: false },
  ].map((s) => ({ ...s, wall: [], cpu: [] }));
  try {
    // One warm-up round (page cache, tsx's transform cache), then RUNS interleaved rounds.
    for (const s of subjects) runOnce(s);
    for (const s of subjects) { s.wall.length = 0; s.cpu.length = 0; }
    for (let i = 0; i < RUNS; i++) {
      for (const s of subjects) runOnce(s);
      opts.log(`startup: round ${i + 1}/${RUNS}`);
    }
  } finally {
    await stop(head);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const node = subjects[0];
  const base = median(node.wall);
  const baseCpu = mean(node.cpu);
  const rows = [['command', `median wall of ${RUNS} (ms)`, '× node -e 0', 'mean CPU (ms)', 'CPU × node', `within ${TARGET}×`]];
  for (const s of subjects) {
    const ratio = median(s.wall) / base;
    rows.push([s.label, fixed(median(s.wall), 0), fixed(ratio, 2), fixed(mean(s.cpu), 0), fixed(mean(s.cpu) / baseCpu, 2), s.target ? (ratio <= TARGET ? 'yes' : 'NO') : '-']);
  }
  return {
    title: 'CLI start-up: distribute --version and status against node -e 0',
    table: rows,
    notes: [
      `Each row is the median of ${RUNS} runs, spawned one after another and interleaved round by round after one warm-up round; wall time from spawn to exit as seen by the parent.`,
      '`status` asks a real head (`distribute server` on loopback, empty) and prints its tables. CPU is user + system of the child (from the parent\'s cutime/cstime, 10 ms ticks), mean of the runs; "CPU × node" sets it against `node -e 0`\'s, which moves less with the load than wall time does (the target is on wall time).',
      'The compiled CLI (`npm run build`): `dist/head/cli/main.js` is one bundle that answers `--version` itself and runs a plain `status` command line without commander (status\'s code is one chunk beside it: 4 modules in all); the head\'s answer is checked against shapes generated from the zod schemas (shared/api/answer-shapes.ts), so zod is not loaded; JSON calls go through node:http, not fetch (whose first use loads undici). Other commands load commander and their own file.',
      'The "before" rows run the same commands from the TypeScript sources through tsx, as every command started before the build step.',
    ],
  };
}

export const bench: Bench = { name: 'startup', run };
