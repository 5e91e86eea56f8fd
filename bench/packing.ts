/**
 * Issue 11 benchmark: 100 jobs with `request: {cpus: 1}`, each sleeping 0.2 s, through a real head
 * and ONE real agent on this machine. The agent packs as many jobs as it has cores, so the ideal
 * wall time is 100 × 0.2 s ÷ cores (10 s on 2 cores). The goal: at most 1.3 × that ideal.
 * For comparison the same batch without a request (one job at a time, every core) runs too.
 */
import fs from 'node:fs';
import path from 'node:path';
import { api, startAgentProc, startHeadProc, stop, tempDir, waitBatchEnded, type Proc } from '../test/helpers/cluster.ts';
import { addBatch, waitIdleNodes } from '../test/helpers/shell-batch.ts';
import { routes } from '../shared/api/routes.ts';
import { fixed, type Bench, type BenchOptions, type BenchResult } from './report.ts';

const SLEEP_S = 0.2;
/** The goal: wall time at most this many times the ideal. */
const GOAL = 1.3;

export async function run(opts: BenchOptions): Promise<BenchResult> {
  const n = opts.quick ? 40 : 100;
  const dir = tempDir('bench-packing');
  const head = await startHeadProc(path.join(dir, 'head'), { nodeTimeout: '10s' });
  const agents: Proc[] = [];
  const rows: string[][] = [['batch', 'N', 'cores used per job', 'ideal (s)', 'wall (s)', 'wall ÷ ideal', `goal ≤ ${GOAL}`]];
  try {
    agents.push(startAgentProc(head, 'bench-packer', path.join(dir, 'agent')));
    await waitIdleNodes(head, 1, 30_000);
    const node = (await api(head, routes.nodes())).body.nodes[0];
    const cores: number = node.capacity.cpus;
    for (const [label, request] of [['request {cpus: 1}', '  request: { cpus: 1 }\n'], ['no request (whole node)', '']] as const) {
      const name = request ? 'packed' : 'whole';
      const config = path.join(dir, `${name}.yaml`);
      const jobs = Array.from({ length: n }, (_, i) => `    - { name: j${i}, command: "sleep ${SLEEP_S}" }`).join('\n');
      fs.writeFileSync(config, `meta:\n  batch_name: ${name}\n  namespace: bench\n  capabilities: []\n${request}shell:\n  jobs:\n${jobs}\n`);
      opts.log(`packing: ${n} jobs, ${label}, one agent with ${cores} cores`);
      const { id } = await addBatch(head, config);
      const batch = await waitBatchEnded(head, id, 600_000);
      if (batch.counts.succeeded !== n) throw new Error(`only ${batch.counts.succeeded} of ${n} jobs succeeded: ${JSON.stringify(batch.counts)}`);
      const wall = ((batch.endedAt ?? 0) - (batch.submittedAt ?? 0)) / 1000;
      const perJob = request ? 1 : cores;
      const ideal = (n * SLEEP_S * perJob) / cores;
      const ratio = wall / ideal;
      rows.push([label, String(n), String(perJob), fixed(ideal, 1), fixed(wall, 2), fixed(ratio, 2), request ? (ratio <= GOAL ? 'met' : 'MISSED') : '-']);
    }
  } finally {
    for (const a of agents) await stop(a);
    await stop(head);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return {
    title: `Packing: ${n} jobs of ${SLEEP_S} s with request {cpus: 1} on one agent`,
    table: rows,
    notes: [
      'Real processes on loopback: `distribute server` and one `distribute agent`; batches submitted with `distribute add`.',
      `Ideal = N × ${SLEEP_S} s × cores per job ÷ the agent's cores: what a perfect packer with no per-job cost would take.`,
      'Wall time is the head\'s submittedAt → endedAt of the batch.',
    ],
  };
}

export const bench: Bench = { name: 'packing', run };
