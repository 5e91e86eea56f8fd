/**
 * A long head outage does not blame healthy nodes: the head (node timeout 5 s) is SIGKILLed
 * while two agents run jobs and a third waits idle, stays down 12 s, and is restarted on the same
 * data folder and port. The agents' reconnect backoff is capped below the node timeout, and the
 * restarted head waits for them from the moment it listens (longest backoff + one timeout), so
 * neither the job still running nor the one that finished during the outage runs again on the
 * spare agent.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startHeadProc, stop, tempDir, waitBatchEnded, type HeadProc, type Proc } from '../helpers/cluster.ts';
import { watchHead } from '../helpers/head-watch.ts';
import { addBatch, runCounts, startIdleAgents, stopAll, writeShellBatch } from '../helpers/shell-batch.ts';

let head: HeadProc;
const dataDir = tempDir('head');
let agents: Proc[] = [];
let workdirs: string[] = [];
const tmp = tempDir('restart-outage');

before(async () => {
  head = await startHeadProc(dataDir, { nodeTimeout: '5s' });
  ({ agents, workdirs } = await startIdleAgents(head, ['node-a', 'node-b', 'spare']));
});

after(async () => {
  await stopAll(head, agents, workdirs);
});

test('a 12 s head outage (node timeout 5 s) with a spare agent waiting re-runs nothing', async () => {
  const counter = path.join(tmp, 'runs.txt');
  const file = writeShellBatch(tmp, {
    name: 'outage',
    jobs: [
      // Still running when the head comes back.
      { name: 'long', command: `echo long >> ${counter}; sleep 24; echo done > distribute_save/out.txt` },
      // Finishes while the head is down: its result waits, unacknowledged, on its agent.
      { name: 'short', command: `echo short >> ${counter}; sleep 4; echo done > distribute_save/out.txt` },
    ],
  });
  const watch = await watchHead(head);
  const { id } = await addBatch(head, file);
  const running = await watch.until((v) => {
    const jobs = v.running.filter((j) => j.batchId === id);
    return jobs.length === 2 && jobs.every((j) => j.state === 'running') ? jobs : null;
  }, 'both jobs to start');
  watch.close();
  const nodeOf = Object.fromEntries(running.map((j) => [j.name, j.state === 'running' ? j.node : '']));

  await stop(head, 'SIGKILL');
  const killedAt = Date.now();
  await new Promise((r) => setTimeout(r, 12_000 - (Date.now() - killedAt)));
  head = await startHeadProc(dataDir, { port: head.port, nodeTimeout: '5s' });

  const batch = await waitBatchEnded(head, id, 60_000);
  assert.equal(batch.counts.succeeded, 2, JSON.stringify(batch.counts));
  const counts = runCounts(counter);
  assert.deepEqual(Object.fromEntries(counts), { long: 1, short: 1 }, 'each job ran exactly once');
  for (const job of batch.jobs as { name: string; node: string; attempt: number }[]) {
    assert.equal(job.node, nodeOf[job.name], `${job.name} was archived from the node that ran it`);
  }
  assert.doesNotMatch(head.output(), /lost \(silent/, 'no node was declared lost');
});
