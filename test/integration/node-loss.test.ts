/**
 * Node loss with real processes: an agent SIGKILLed mid-job is noticed within the node timeout,
 * its job completes on the other agent within timeout + one job-length, the stray run left on the
 * dead agent's machine never replaces the archived result, and the agent, restarted on the same
 * workdir and name, takes new work.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { api, startAgentProc, startHeadProc, stop, tempDir, waitBatchEnded, waitFor, type HeadProc, type Proc } from '../helpers/cluster.ts';
import { addBatch, jobOf, jobProcessesUnder, waitIdleNodes, writeShellBatch } from '../helpers/shell-batch.ts';

const JOB_SECONDS = 3;
const TIMEOUT_MS = 2000;
let head: HeadProc;
const agents = new Map<string, Proc>();
const workdirs = new Map<string, string>();
const tmp = tempDir('node-loss');

before(async () => {
  head = await startHeadProc(tempDir('head'), { nodeTimeout: `${TIMEOUT_MS / 1000}s` });
  for (const name of ['node-a', 'node-b']) {
    workdirs.set(name, tempDir(name));
    agents.set(name, startAgentProc(head, name, workdirs.get(name)!));
  }
  await waitIdleNodes(head, 2);
});

after(async () => {
  for (const a of agents.values()) await stop(a);
  if (head) await stop(head);
  for (const wd of workdirs.values()) for (const pid of jobProcessesUnder(wd)) process.kill(pid, 'SIGKILL');
});

test('a SIGKILLed agent\'s job completes on the other agent; the agent comes back and takes work', async () => {
  const counter = path.join(tmp, 'runs.txt');
  const file = writeShellBatch(tmp, {
    name: 'loss',
    jobs: [{ name: 'j1', command: `echo "j1 $DISTRIBUTE_JOB_MARKER" >> ${counter}; sleep ${JOB_SECONDS}; echo out > distribute_save/out.txt` }],
  });
  const { id } = await addBatch(head, file);
  const running = await waitFor(async () => {
    const j = await jobOf(head, id, 'j1');
    return j?.state === 'running' ? j : null;
  }, 15_000, () => 'j1 never started');
  const victim: string = running.node;
  const survivor = victim === 'node-a' ? 'node-b' : 'node-a';

  const killedAt = Date.now();
  await stop(agents.get(victim)!, 'SIGKILL');
  const nodeLost = await waitFor(async () => {
    const n = (await api(head, '/api/nodes')).body.nodes.find((x: { name: string }) => x.name === victim);
    return n.state === 'lost' ? Date.now() : null;
  }, 10_000, () => `${victim} was never marked lost`);
  assert.ok(nodeLost - killedAt < TIMEOUT_MS + 2000, `lost after ${nodeLost - killedAt} ms`);

  const batch = await waitBatchEnded(head, id, 20_000);
  const elapsed = Date.now() - killedAt;
  const j1 = batch.jobs[0];
  assert.equal(j1.outcome, 'succeeded');
  assert.equal(j1.node, survivor);
  assert.equal(j1.attempt, 2);
  assert.ok(elapsed < TIMEOUT_MS + JOB_SECONDS * 1000 + 3000, `finished ${elapsed} ms after the kill`);

  // Restart the killed agent on the same workdir and name: it reports its stray run (which the
  // head discards: the job is done) and then takes new work.
  agents.set(victim, startAgentProc(head, victim, workdirs.get(victim)!));
  await waitIdleNodes(head, 2);
  const archived = JSON.parse(fs.readFileSync(path.join(head.dataDir, 'archive/ft/loss/j1/_distribute/result.json'), 'utf8'));
  assert.equal(archived.node, survivor, 'the stray run did not replace the archived result');
  assert.equal(archived.attempt, 2);
  assert.deepEqual(jobProcessesUnder(workdirs.get(victim)!), [], 'no stray job process left on the restarted node');

  const more = writeShellBatch(tmp, {
    name: 'after',
    jobs: Array.from({ length: 4 }, (_, i) => ({ name: `k${i}`, command: 'sleep 1; echo ok > distribute_save/ok.txt' })),
  });
  const second = await addBatch(head, more);
  const ended = await waitBatchEnded(head, second.id, 20_000);
  assert.ok(ended.jobs.every((j: { outcome: string }) => j.outcome === 'succeeded'));
  assert.ok(ended.jobs.some((j) => j.node === victim), 'the restarted agent took new work');
});
