/**
 * Start-up cost of the `distribute` command (issue 9): `distribute --version` and `distribute
 * status` against a running head, each set against a bare `node -e 0` on the same machine in the
 * same run. Runs are interleaved round by round (node, --version, status, ...) so a load spike
 * hits every command alike; the table gives the median of 9 runs and its ratio to node's.
 * Issue 10's trivial-job benchmark (bench/peers.ts) starts two more commands: `add` of a 300-job
 * shell config (goal: at most 120 ms from spawn to exit) and `wait` (which runs while the jobs do,
 * so its CPU competes with them); both are measured here against the same head.
 * For context, the same commands run from the TypeScript sources through tsx (how every command
 * started before the compiled build).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, ROOT, startAgentProc, startHeadProc, stop, tempDir, waitBatchEnded } from '../test/helpers/cluster.ts';
import { addBatch, envFor, waitIdleNodes } from '../test/helpers/shell-batch.ts';
import { fixed, type Bench, type BenchOptions, type BenchResult } from './report.ts';

const RUNS = 9;
/** Target of issue 9: each command within this factor of `node -e 0`. */
const TARGET = 2;
/** Goal of issue 10's work on `add`: a 300-job config added in at most this long (wall, ms). */
const ADD_GOAL_MS = 120;
const ADD_JOBS = 300;
const CLOCK_TICKS = 100;

/** CPU time of this process's reaped children so far (cutime + cstime), ms. */
function childCpuMs(): number {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(rest[13]) + Number(rest[14])) / CLOCK_TICKS) * 1000;
}

interface Subject {
  label: string;
  /** The command line; a function for one that must differ run by run (a new batch name). */
  args: string[] | ((run: number) => string[]);
  env?: Record<string, string>;
  /** Compared with `node -e 0` against the target (the tsx rows are context only). */
  target: boolean;
  /** A goal of its own on the median wall time (ms). */
  goalMs?: number;
  wall: number[];
  cpu: number[];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function runOnce(s: Subject, run: number): void {
  const args = typeof s.args === 'function' ? s.args(run) : s.args;
  const cpu0 = childCpuMs();
  const start = performance.now();
  const r = spawnSync(process.execPath, args, { env: { ...process.env, ...s.env }, stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT });
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
  // An agent joins and runs one job, so the head accepts batches (a node is known that can run
  // them) and `wait` has an ended batch to report; it stops before the timed runs begin.
  const agent = startAgentProc(head, 'startup-agent', path.join(dir, 'agent'));
  let ended: string;
  try {
    await waitIdleNodes(head, 1, 60_000);
    ended = (await addBatch(head, shellConfig(dir, 'ended', 1))).id;
    await waitBatchEnded(head, ended, 60_000);
  } finally {
    await stop(agent);
  }
  const subjects: Subject[] = [
    { label: '`node -e 0`', args: ['-e', '0'], target: false },
    { label: '`distribute --version`', args: [BIN, '--version'], target: true },
    { label: '`distribute status` (running head)', args: [BIN, 'status'], env, target: true },
    { label: `\`distribute add\` of ${ADD_JOBS} shell jobs (running head)`, args: (run: number) => [BIN, 'add', shellConfig(dir, `add-${run}`, ADD_JOBS)], env, target: false, goalMs: ADD_GOAL_MS },
    { label: '`distribute wait` (an ended batch)', args: [BIN, 'wait', ended], env, target: false },
    { label: '`--version` from sources via tsx (before)', args: ['--import', 'tsx', tsxMain, '--version'], target: false },
    { label: '`status` from sources via tsx (before)', args: ['--import', 'tsx', tsxMain, 'status'], env, target: false },
  ].map((s) => ({ ...s, wall: [], cpu: [] }));
  try {
    // One warm-up round (page cache, tsx's transform cache), then RUNS interleaved rounds.
    for (const s of subjects) runOnce(s, -1);
    for (const s of subjects) { s.wall.length = 0; s.cpu.length = 0; }
    for (let i = 0; i < RUNS; i++) {
      for (const s of subjects) runOnce(s, i);
      opts.log(`startup: round ${i + 1}/${RUNS}`);
    }
  } finally {
    await stop(head);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const node = subjects[0];
  const base = median(node.wall);
  const baseCpu = mean(node.cpu);
  const rows = [['command', `median wall of ${RUNS} (ms)`, '× node -e 0', 'mean CPU (ms)', 'CPU × node', 'goal met']];
  for (const s of subjects) {
    const ratio = median(s.wall) / base;
    const goal = s.target ? `${ratio <= TARGET ? 'yes' : 'NO'} (≤ ${TARGET}× node)` : s.goalMs ? `${median(s.wall) <= s.goalMs ? 'yes' : 'NO'} (≤ ${s.goalMs} ms)` : '-';
    rows.push([s.label, fixed(median(s.wall), 0), fixed(ratio, 2), fixed(mean(s.cpu), 0), fixed(mean(s.cpu) / baseCpu, 2), goal]);
  }
  return {
    title: 'CLI start-up: distribute --version, status, add and wait against node -e 0',
    table: rows,
    notes: [
      `Each row is the median of ${RUNS} runs, spawned one after another and interleaved round by round after one warm-up round; wall time from spawn to exit as seen by the parent.`,
      '`status` asks a real head (`distribute server` on loopback, empty) and prints its tables. CPU is user + system of the child (from the parent\'s cutime/cstime, 10 ms ticks), mean of the runs; "CPU × node" sets it against `node -e 0`\'s, which moves less with the load than wall time does (the target is on wall time).',
      'The compiled CLI (`npm run build`): `dist/head/cli/main.js` is one bundle that answers `--version` itself and runs plain `status`, `add` and `wait` command lines without commander (each command\'s code is one chunk beside it: 4 modules in all for status); the head\'s answer is checked against shapes generated from the zod schemas (shared/api/answer-shapes.ts), so zod is not loaded; JSON calls go through node:http, not fetch (whose first use loads undici). Other commands load commander and their own file.',
      `\`add\` registers and submits a new batch of ${ADD_JOBS} \`true\` jobs each run (the config bench/peers.ts adds: one line per job, \`- { name: jN, command: "true" }\`), read by shared/config/simple-yaml.ts without loading yaml or zod; the head knows one (stopped) agent, so it accepts them and nothing runs. \`wait\` asks about a batch that already ended: its start-up, one look at the batch and its event stream opened and closed (through node:http, not fetch).`,
      'The "before" rows run the same commands from the TypeScript sources through tsx, as every command started before the build step.',
    ],
  };
}

/** A shell config of `jobs` trivial jobs named `name`, written into `dir`; its path. */
function shellConfig(dir: string, name: string, jobs: number): string {
  const file = path.join(dir, `${name}.yaml`);
  const lines = Array.from({ length: jobs }, (_, i) => `    - { name: j${i}, command: "true" }`);
  fs.writeFileSync(file, `meta:\n  batch_name: ${name}\n  namespace: startup\n  capabilities: []\nshell:\n  jobs:\n${lines.join('\n')}\n`);
  return file;
}

export const bench: Bench = { name: 'startup', run };
