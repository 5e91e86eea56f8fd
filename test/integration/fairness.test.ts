/**
 * Scheduling end to end with real processes: fair share between two users (a small batch added
 * after a big one starts within one job-length), and capability matching (a batch needing a tag
 * only one agent has runs only there; a batch no node can run, by tags or by `meta.resources`, is
 * refused by `add` with exit 1 and the reason for every node).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { api, cli, startAgentProc, startHeadProc, stop, tempDir, waitBatchEnded, waitFor, type HeadProc, type Proc } from '../helpers/cluster.ts';
import { addBatch, addUser, envFor, jobProcessesUnder, waitIdleNodes, writeShellBatch } from '../helpers/shell-batch.ts';

const JOB_SECONDS = 2;
let head: HeadProc;
const agents: Proc[] = [];
const workdirs: string[] = [];
const tmp = tempDir('fairness');

before(async () => {
  head = await startHeadProc(tempDir('head'), { nodeTimeout: '3s' });
  for (const [name, extra] of [['node-a', ['--tag', 'special']], ['node-b', []]] as const) {
    const wd = tempDir(name);
    workdirs.push(wd);
    agents.push(startAgentProc(head, name, wd, [...extra]));
  }
  await waitIdleNodes(head, 2);
});

after(async () => {
  for (const a of agents) await stop(a);
  if (head) await stop(head);
  for (const wd of workdirs) for (const pid of jobProcessesUnder(wd)) process.kill(pid, 'SIGKILL');
});

const sleepJobs = (prefix: string, n: number, seconds = JOB_SECONDS) =>
  Array.from({ length: n }, (_, i) => ({ name: `${prefix}${i}`, command: `sleep ${seconds}; echo done > distribute_save/done.txt` }));

test('fair share: a 3-job batch added after a 30-job batch of another user starts within one job-length', async () => {
  const alice = await addUser(head, 'alice');
  const bob = await addUser(head, 'bob');
  const big = await addBatch(head, writeShellBatch(tmp, { name: 'big', jobs: sleepJobs('a', 30) }), alice);
  // Both nodes busy with alice's jobs.
  await waitFor(async () => (await api(head, `/api/batches/${big.id}`)).body.counts.running === 2, 15_000, () => 'big batch did not start');

  const small = await addBatch(head, writeShellBatch(tmp, { name: 'small', jobs: sleepJobs('b', 3) }), bob);
  const addedAt = Date.now();
  const started = await waitFor(async () => {
    const b = (await api(head, `/api/batches/${small.id}`)).body;
    return b.jobs.some((j: { state: string }) => j.state === 'running' || j.state === 'done') ? Date.now() : null;
  }, 15_000, () => 'the small batch never started');
  assert.ok(started - addedAt <= JOB_SECONDS * 1000 + 1000, `bob's first job started ${started - addedAt} ms after add`);

  // Bob's three jobs all finish while alice still has most of her queue: they interleave, bob
  // does not wait behind alice's 30 jobs.
  const smallDone = await waitBatchEnded(head, small.id, 20_000);
  assert.equal(smallDone.counts.succeeded, 3);
  const bigNow = (await api(head, `/api/batches/${big.id}`)).body;
  assert.ok(bigNow.counts.queued >= 15, `alice still has ${bigNow.counts.queued} queued jobs`);

  const status = await cli(['status'], envFor(head));
  assert.match(status.stdout, /ft\/big\s+alice\s/);
  assert.match(status.stdout, /ft\/small\s+bob\s/);
  const killed = await cli(['kill', big.id], envFor(head, alice));
  assert.equal(killed.code, 0, killed.stderr);
  await waitIdleNodes(head, 2, 15_000);
});

test('capabilities: a batch needing a tag only one node has runs only there', async () => {
  const { id, nodes } = await addBatch(head, writeShellBatch(tmp, { name: 'tagged', capabilities: ['special'], jobs: sleepJobs('t', 4, 0) }));
  assert.deepEqual(nodes.map((n) => [n.node, n.ok]).sort(), [['node-a', true], ['node-b', false]]);
  assert.deepEqual(nodes.find((n) => n.node === 'node-b')!.reasons, ['missing tags: special']);
  const batch = await waitBatchEnded(head, id, 20_000);
  assert.equal(batch.counts.succeeded, 4);
  assert.deepEqual([...new Set(batch.jobs.map((j) => j.node))], ['node-a']);
});

test('capabilities: add refuses a batch no node can run, with the reasons per node', async () => {
  const byTag = await cli(['add', writeShellBatch(tmp, { name: 'nowhere', capabilities: ['special', 'quantum'], jobs: sleepJobs('x', 1) })], envFor(head));
  assert.equal(byTag.code, 1);
  assert.match(byTag.stderr, /no node can run batch 'nowhere'/);
  assert.match(byTag.stderr, /node-a: missing tags: quantum/);
  assert.match(byTag.stderr, /node-b: missing tags: special, quantum/);

  const bySize = await cli(['add', writeShellBatch(tmp, { name: 'huge', resources: { cpus: 4096, memory_gb: 65536 }, jobs: sleepJobs('x', 1) })], envFor(head));
  assert.equal(bySize.code, 1);
  assert.match(bySize.stderr, /node-a: needs 4096 cores, has \d+; needs 65536 GiB memory, has [\d.]+/);
  assert.match(bySize.stderr, /node-b: needs 4096 cores/);
  const batches = (await api(head, '/api/status')).body.batches.map((b: { name: string }) => b.name);
  assert.ok(!batches.includes('nowhere') && !batches.includes('huge'), 'refused batches were not created');
});
