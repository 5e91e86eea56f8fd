/**
 * Several jobs per node, with real processes on one agent of this (2-core) machine: two 1-core
 * jobs run side by side each seeing DISTRIBUTE_CORES=1; jobs without a request run one at a time
 * with every core; a request no node could hold is refused at `add`. Then everything per run with
 * two jobs on one node: a pause stops both and a resume continues both, a kill ends both, an agent
 * restart adopts both, a head restart keeps both, and a lost node's two runs finish elsewhere.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { routes } from '../../shared/api/routes.ts';
import { api, cli, startAgentProc, startHeadProc, stop, tempDir, waitBatchEnded, waitFor, type HeadProc, type Proc } from '../helpers/cluster.ts';
import { untilHead } from '../helpers/head-watch.ts';
import { addBatch, envFor, jobProcessesUnder, runCounts, writeShellBatch } from '../helpers/shell-batch.ts';

const tmp = tempDir('packing');
const heads: HeadProc[] = [];
const agents: Proc[] = [];
const workdirs: string[] = [];

after(async () => {
  for (const a of agents) await stop(a);
  for (const h of heads) await stop(h);
  for (const wd of workdirs) for (const pid of jobProcessesUnder(wd)) process.kill(pid, 'SIGKILL');
});

async function head(dataDir = tempDir('head'), port?: number): Promise<HeadProc> {
  const h = await startHeadProc(dataDir, { nodeTimeout: '3s', port });
  heads.push(h);
  return h;
}

function agent(h: HeadProc, name: string, workdir: string, extra: string[] = []): Proc {
  if (!workdirs.includes(workdir)) workdirs.push(workdir);
  const a = startAgentProc(h, name, workdir, extra);
  agents.push(a);
  return a;
}

async function nodeView(h: HeadProc, name: string): Promise<any> {
  return (await api(h, routes.nodes())).body.nodes?.find((n: { name: string }) => n.name === name);
}

/** Waits on the head's live feed until node `name` satisfies `ok`; returns its view. */
async function waitNode(h: HeadProc, name: string, ok: (n: any) => boolean, what: string, timeoutMs = 60_000): Promise<any> {
  return untilHead(h, (v) => {
    const n = v.nodes.find((x) => x.name === name);
    return n && ok(n) ? n : null;
  }, `${name}: ${what}`, timeoutMs);
}

/** Waits on the head's live feed until jobs `names` of batch `id` are all in `state` (running or paused). */
async function waitJobs(h: HeadProc, id: string, names: string[], state: 'running' | 'paused', what: string): Promise<void> {
  await untilHead(h, (v) => names.every((n) => v.running.some((j) => j.batchId === id && j.name === n && j.state === state)), what);
}

/**
 * A job that records its cores and its start and end (epoch ms) in its results; with `gate` it
 * runs until that file exists (at most a minute), so the test decides when it ends.
 */
const timed = (seconds: number, gate?: string) =>
  `echo "$DISTRIBUTE_CORES" > distribute_save/cores.txt; date +%s%3N > distribute_save/start.txt; ${
    gate ? `for i in $(seq 600); do [ -f ${gate} ] && break; sleep 0.1; done` : `sleep ${seconds}`}; date +%s%3N > distribute_save/end.txt`;

function archived(h: HeadProc, batch: string, job: string, file: string): string {
  return fs.readFileSync(path.join(h.dataDir, 'archive/pk', batch, job, file), 'utf8').trim();
}

test('one agent: 1-core jobs run side by side with DISTRIBUTE_CORES=1; jobs without a request one at a time with every core; add refuses an impossible request', async () => {
  const h = await head();
  const wd = tempDir('solo');
  agent(h, 'solo', wd);
  await waitNode(h, 'solo', (n) => n.state === 'idle', 'never idle');
  const cores = (await nodeView(h, 'solo')).capacity.cpus as number;
  assert.ok(cores >= 2, `this test needs a node with 2 cores or more, has ${cores}`);

  const gate = path.join(tmp, 'pair-gate');
  const pair = writeShellBatch(tmp, { name: 'pair', namespace: 'pk', request: { cpus: 1 }, jobs: [{ name: 'a', command: timed(0, gate) }, { name: 'b', command: timed(0, gate) }] });
  const { id } = await addBatch(h, pair);
  // The node's view lists both runs at once, with the capacity they leave.
  const busy = await waitNode(h, 'solo', (n) => n.runs.length === 2, 'never ran two jobs at once');
  assert.deepEqual(busy.runs.map((r: { job: string }) => r.job).sort(), ['a', 'b']);
  assert.equal(busy.free.cpus, cores - 2);
  const status = await cli(['nodes'], envFor(h));
  assert.match(status.stdout, /pk\/pair\/a/);
  assert.match(status.stdout, /pk\/pair\/b/);
  fs.writeFileSync(gate, '');
  const ended = await waitBatchEnded(h, id, 30_000);
  assert.equal(ended.counts.succeeded, 2);
  for (const job of ['a', 'b']) assert.equal(archived(h, 'pair', job, 'cores.txt'), '1', `${job} saw its requested cores`);
  const [a, b] = ['a', 'b'].map((job) => ({ start: Number(archived(h, 'pair', job, 'start.txt')), end: Number(archived(h, 'pair', job, 'end.txt')) }));
  assert.ok(a.start < b.end && b.start < a.end, `the two 1-core jobs overlapped (a ${a.start}-${a.end}, b ${b.start}-${b.end})`);

  const whole = writeShellBatch(tmp, { name: 'whole', namespace: 'pk', jobs: [{ name: 'x', command: timed(1) }, { name: 'y', command: timed(1) }] });
  const w = await addBatch(h, whole);
  await waitBatchEnded(h, w.id, 30_000);
  for (const job of ['x', 'y']) assert.equal(archived(h, 'whole', job, 'cores.txt'), String(cores), `${job} had every core`);
  const [x, y] = ['x', 'y'].map((job) => ({ start: Number(archived(h, 'whole', job, 'start.txt')), end: Number(archived(h, 'whole', job, 'end.txt')) }));
  assert.ok(x.end <= y.start || y.end <= x.start, 'jobs without a request never overlapped');

  const huge = writeShellBatch(tmp, { name: 'huge', namespace: 'pk', request: { memory_gb: 100000 }, jobs: [{ name: 'z', command: 'true' }] });
  const refused = await cli(['add', huge], envFor(h));
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, /no node can run batch 'huge'/);
  assert.match(refused.stderr, /solo: a job requests 100000 GiB memory, node offers \d+(\.\d)?/);
});

test('two runs on one node: a pause stops both and a resume continues both; a kill ends both', async () => {
  const h = await head();
  const wd = tempDir('pauser');
  agent(h, 'pauser', wd);
  await waitNode(h, 'pauser', (n) => n.state === 'idle', 'never idle');
  const file = writeShellBatch(tmp, { name: 'held', namespace: 'pk', request: { cpus: 1 }, jobs: [{ name: 'p', command: 'sleep 300' }, { name: 'q', command: 'sleep 300' }] });
  const { id } = await addBatch(h, file);
  await waitJobs(h, id, ['p', 'q'], 'running', 'p and q did not both start');

  const paused = await cli(['pause', '--node', 'pauser', '--duration', '10m'], envFor(h));
  assert.equal(paused.code, 0, paused.stderr);
  await waitJobs(h, id, ['p', 'q'], 'paused', 'p and q were not both paused');
  // Every process of both jobs is stopped (T).
  const states = () => jobProcessesUnder(wd).map((pid) => {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  });
  await waitFor(() => states().length >= 2 && states().every((s) => s === 'T'), 20_000, () => `job processes not all stopped: ${states().join('')}`);

  const resumed = await cli(['resume', '--node', 'pauser'], envFor(h));
  assert.equal(resumed.code, 0, resumed.stderr);
  await waitJobs(h, id, ['p', 'q'], 'running', 'p and q were not both resumed');
  await waitFor(() => states().every((s) => s !== 'T'), 20_000, () => 'job processes still stopped');

  const killed = await cli(['kill', id], envFor(h));
  assert.equal(killed.code, 0, killed.stderr);
  const batch = await waitBatchEnded(h, id, 20_000);
  assert.equal(batch.counts.cancelled, 2);
  await waitFor(() => jobProcessesUnder(wd).length === 0, 30_000, () => 'job processes still alive after the kill');
  await waitNode(h, 'pauser', (n) => n.state === 'idle' && n.runs.length === 0, 'node still holds runs after the kill');
});

test('two runs on one node survive an agent restart (adopted) and a head restart; nothing runs twice', async () => {
  const dataDir = tempDir('head');
  let h = await head(dataDir);
  const wd = tempDir('keeper');
  const first = agent(h, 'keeper', wd, ['--on-exit', 'keep']);
  await waitNode(h, 'keeper', (n) => n.state === 'idle', 'never idle');
  const counter = path.join(tmp, 'kept-runs.txt');
  const file = writeShellBatch(tmp, {
    name: 'kept', namespace: 'pk', request: { cpus: 1 },
    jobs: ['k1', 'k2'].map((name) => ({ name, command: `echo ${name} >> ${counter}; sleep 6; echo "$DISTRIBUTE_JOB" > distribute_save/out.txt` })),
  });
  const { id } = await addBatch(h, file);
  await waitJobs(h, id, ['k1', 'k2'], 'running', 'k1 and k2 did not both start');

  await stop(first); // SIGTERM with --on-exit keep: both jobs run on
  agent(h, 'keeper', wd, ['--on-exit', 'keep']);
  await waitNode(h, 'keeper', (n) => n.state === 'busy' && n.runs.length === 2, 'the restarted agent did not report both runs');

  await stop(h, 'SIGKILL');
  h = await head(dataDir, h.port);
  const batch = await waitBatchEnded(h, id, 40_000);
  assert.equal(batch.counts.succeeded, 2, JSON.stringify(batch.counts));
  for (const job of ['k1', 'k2']) assert.equal(archived(h, 'kept', job, 'out.txt'), job);
  assert.deepEqual([...runCounts(counter)].sort(), [['k1', 1], ['k2', 1]], 'each job ran once');
});

test('a lost node\'s two runs are both re-queued and finish on another node', async () => {
  const h = await head();
  const doomed = agent(h, 'doomed', tempDir('doomed'));
  await waitNode(h, 'doomed', (n) => n.state === 'idle', 'never idle');
  const file = writeShellBatch(tmp, {
    name: 'moved', namespace: 'pk', request: { cpus: 1 },
    jobs: ['m1', 'm2'].map((name) => ({ name, command: `sleep 2; echo "$DISTRIBUTE_JOB" > distribute_save/out.txt` })),
  });
  const { id } = await addBatch(h, file);
  await waitJobs(h, id, ['m1', 'm2'], 'running', 'm1 and m2 did not both start');
  await stop(doomed, 'SIGKILL');
  await waitNode(h, 'doomed', (n) => n.state === 'lost', 'never lost');
  agent(h, 'rescue', tempDir('rescue'));
  const batch = await waitBatchEnded(h, id, 40_000);
  assert.equal(batch.counts.succeeded, 2);
  for (const j of batch.jobs) assert.equal(j.node, 'rescue', `${j.name} finished on the rescue node`);
});
