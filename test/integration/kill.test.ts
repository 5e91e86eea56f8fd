/**
 * `distribute kill BATCH` with real processes: running jobs whose process trees spread out
 * (background children, a child that left the process group with setsid, an orphan re-parented
 * to init, a shell that ignores SIGTERM) leave no process alive on the agents; queued jobs end
 * cancelled; a user who does not own the batch is refused, an admin may kill it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { cli, startHeadProc, tempDir, waitBatchEnded, waitFor, type HeadProc, type Proc } from '../helpers/cluster.ts';
import { addBatch, addUser, envFor, jobOf, jobProcessesUnder, waitIdleNodes, writeShellBatch, startIdleAgents, stopAll } from '../helpers/shell-batch.ts';

let head: HeadProc;
let agents: Proc[] = [];
let workdirs: string[] = [];
const tmp = tempDir('kill');

before(async () => {
  head = await startHeadProc(tempDir('head'), { nodeTimeout: '3s' });
  ({ agents, workdirs } = await startIdleAgents(head, ['node-a', 'node-b']));
});

after(async () => {
  await stopAll(head, agents, workdirs);
});

const SPREADING = 'sleep 300 & (sleep 301 &) ; setsid sh -c "sleep 302" & echo started; sleep 303';
const STUBBORN = "trap '' TERM; sleep 304 & while :; do sleep 1; done";

test('kill: a non-owner is refused; an admin kills every process of the running jobs and cancels the queued ones', async () => {
  const alice = await addUser(head, 'alice');
  const bob = await addUser(head, 'bob');
  const file = writeShellBatch(tmp, {
    name: 'doomed',
    jobs: [
      { name: 'spread', command: SPREADING },
      { name: 'stubborn', command: STUBBORN },
      ...Array.from({ length: 3 }, (_, i) => ({ name: `queued${i}`, command: 'sleep 300' })),
    ],
  });
  const { id } = await addBatch(head, file, alice);
  await waitFor(async () => (await jobOf(head, id, 'spread'))?.state === 'running' && (await jobOf(head, id, 'stubborn'))?.state === 'running',
    60_000, () => 'jobs did not start');
  // Every process of the trees is up (the setsid one and the orphan included).
  await waitFor(() => workdirs.reduce((n, wd) => n + jobProcessesUnder(wd).length, 0) >= 8, 30_000, () => 'job trees did not spread');

  const refused = await cli(['kill', 'doomed'], envFor(head, bob));
  assert.equal(refused.code, 1);
  // alice's batch is private, so to bob it does not exist (issue 12); shared batches answer 403.
  assert.match(refused.stderr, /no batch 'doomed'/);
  assert.equal((await jobOf(head, id, 'spread')).state, 'running', 'a refused kill changes nothing');

  const killed = await cli(['kill', 'doomed', '--json'], envFor(head));
  assert.equal(killed.code, 0, killed.stderr);
  const summary = JSON.parse(killed.stdout);
  assert.equal(summary.cancelled, 5);
  assert.equal(summary.killing, 2);

  const batch = await waitBatchEnded(head, id, 30_000);
  assert.equal(batch.outcome, 'cancelled');
  assert.equal(batch.counts.cancelled, 5);
  for (const j of batch.jobs) assert.deepEqual(j.result, { outcome: 'cancelled', by: 'admin' }, j.name);
  // SIGTERM, then SIGKILL after the grace period for the shell that ignores SIGTERM.
  await waitFor(() => workdirs.every((wd) => jobProcessesUnder(wd).length === 0), 30_000,
    () => `job processes still alive: ${workdirs.map((wd) => jobProcessesUnder(wd).join(',')).join(' | ')}`);
  await waitIdleNodes(head, 2);
});

test('kill: the owner may kill their own batch by namespace/name', async () => {
  const carol = await addUser(head, 'carol');
  const file = writeShellBatch(tmp, { name: 'mine', namespace: 'carols', jobs: [{ name: 'long', command: 'sleep 300' }] });
  const { id } = await addBatch(head, file, carol);
  await waitFor(async () => (await jobOf(head, id, 'long'))?.state === 'running', 60_000, () => 'job did not start');
  const r = await cli(['kill', 'carols/mine'], envFor(head, carol));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /killed carols\/mine: 1 jobs cancelled, 1 running/);
  await waitFor(() => workdirs.every((wd) => jobProcessesUnder(wd).length === 0), 30_000, () => 'job process still alive');
  const status = await cli(['status'], envFor(head, carol));
  assert.match(status.stdout, /carols\/mine\s+carol\s+cancelled/);
});
