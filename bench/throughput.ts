/**
 * Issue 2 benchmark: N trivial jobs through a real head and K real local agents (separate
 * `distribute server` / `distribute agent` processes on loopback), against spawning the same N
 * processes directly from Node — one after another, and K at a time — in the same run.
 *
 * Wall time of the cluster run is the head's own `submittedAt → endedAt` of the batch, so CLI
 * start-up and polling do not count. Per-job overhead is what one worker spends per job beyond the
 * bare process: `wall × K / N − (direct sequential wall / N)`.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PYTHON, startAgentProc, startHeadProc, stop, tempDir, waitBatchEnded, type HeadProc, type Proc } from '../test/helpers/cluster.ts';
import { addBatch, waitIdleNodes } from '../test/helpers/shell-batch.ts';
import { fixed, since, type Bench, type BenchOptions, type BenchResult } from './report.ts';

interface Kind {
  label: string;
  /** The same command the agent runs for the job, run from `cwd`. */
  direct: { file: string; args: string[] };
  /** Config body after `meta:`. */
  section: (n: number) => string;
  capabilities: string[];
}

const KINDS: Kind[] = [
  {
    label: 'shell `true`',
    direct: { file: '/bin/sh', args: ['-c', 'true'] },
    section: (n) => `shell:\n  jobs:\n${Array.from({ length: n }, (_, i) => `    - { name: j${i}, command: "true" }`).join('\n')}\n`,
    capabilities: [],
  },
  {
    label: `python \`pass\` (${PYTHON})`,
    direct: { file: PYTHON, args: ['pass.py', '2'] },
    section: (n) => `python:\n  jobs:\n${Array.from({ length: n }, (_, i) => `    - { name: j${i}, file: pass.py }`).join('\n')}\n`,
    capabilities: ['python3'],
  },
];

function runOnce(file: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd, stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${file} exited ${code}`))));
  });
}

/** Run the command `n` times with `parallel` workers; wall time in ms. */
async function direct(kind: Kind, n: number, parallel: number, cwd: string): Promise<number> {
  const start = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < n) {
      next++;
      await runOnce(kind.direct.file, kind.direct.args, cwd);
    }
  }));
  return since(start);
}

async function throughCluster(head: HeadProc, kind: Kind, n: number, dir: string, name: string): Promise<number> {
  const config = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(config, `meta:\n  batch_name: ${name}\n  namespace: bench\n  capabilities: [${kind.capabilities.join(', ')}]\n${kind.section(n)}`);
  const { id } = await addBatch(head, config);
  const batch = await waitBatchEnded(head, id, 600_000);
  if (batch.counts.succeeded !== n) throw new Error(`only ${batch.counts.succeeded} of ${n} jobs succeeded: ${JSON.stringify(batch.counts)}`);
  return batch.endedAt - (batch.submittedAt ?? batch.createdAt);
}

export async function run(opts: BenchOptions): Promise<BenchResult> {
  const n = opts.quick ? 100 : 500;
  const k = 2;
  const dir = tempDir('bench-throughput');
  fs.writeFileSync(path.join(dir, 'pass.py'), 'pass\n');
  const head = await startHeadProc(path.join(dir, 'head'), { nodeTimeout: '10s' });
  const agents: Proc[] = [];
  const rows: string[][] = [['jobs', 'runner', 'N', 'wall (s)', 'jobs/s', 'ms per job per worker', 'overhead per job (ms)', 'vs direct ×K']];
  try {
    for (let i = 0; i < k; i++) agents.push(startAgentProc(head, `bench-${i}`, path.join(dir, `agent-${i}`)));
    await waitIdleNodes(head, k, 30_000);
    for (const [i, kind] of KINDS.entries()) {
      opts.log(`throughput: ${kind.label}: direct runs`);
      await direct(kind, Math.min(10, n), 1, dir); // warm the page cache
      const seq = await direct(kind, n, 1, dir);
      const par = await direct(kind, n, k, dir);
      opts.log(`throughput: ${kind.label}: ${n} jobs through the head and ${k} agents`);
      const wall = await throughCluster(head, kind, n, dir, `tp${i}`);
      const bare = seq / n;
      const row = (runner: string, ms: number, workers: number) => [
        kind.label, runner, String(n), fixed(ms / 1000, 2), fixed(n / (ms / 1000), 1), fixed((ms * workers) / n, 1),
        fixed((ms * workers) / n - bare, 1), fixed(par / ms, 2),
      ];
      rows.push(row('direct, sequential', seq, 1), row(`direct, ${k} parallel`, par, k), row(`distribute, ${k} agents`, wall, k));
    }
  } finally {
    for (const a of agents) await stop(a);
    await stop(head);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return {
    title: `Throughput: ${n} trivial jobs, head + ${k} local agents vs direct spawn`,
    table: rows,
    notes: [
      `Real processes on loopback: \`distribute server\` and ${k} × \`distribute agent --python ${PYTHON}\`; batches submitted with \`distribute add\`.`,
      'Cluster wall time is the head\'s submittedAt → endedAt; direct runs spawn the same command line from Node with the same cwd.',
      '"overhead per job" = wall × workers / N − direct sequential ms per job: what the agent/head add to each job (download, workspace, upload of logs and result metadata, archive commit, scheduling round trip).',
      '"vs direct ×K" = direct K-parallel wall ÷ this wall (1.00 = as fast as spawning the processes yourself).',
    ],
  };
}

export const bench: Bench = { name: 'throughput', run };
