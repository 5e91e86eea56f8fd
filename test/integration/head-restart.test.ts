/**
 * Head restarts lose nothing: the head is SIGKILLed in the middle of a 200-job batch running on
 * two agents and restarted on the same data folder and port. Every job ends exactly once, all 200
 * results are archived, and no job runs twice (no node was lost): each run appends its name to a
 * counter file outside the workdirs. Also: a head killed right after `add` returned still has the
 * batch after a restart, and runs it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startHeadProc, stop, tempDir, waitBatchEnded, waitFor, type HeadProc, type Proc } from '../helpers/cluster.ts';
import { addBatch, runCounts, waitIdleNodes, writeShellBatch, startIdleAgents, stopAll } from '../helpers/shell-batch.ts';

const JOBS = 200;
let head: HeadProc;
const dataDir = tempDir('head');
let agents: Proc[] = [];
let workdirs: string[] = [];
const tmp = tempDir('head-restart');

before(async () => {
  head = await startHeadProc(dataDir, { nodeTimeout: '5s' });
  ({ agents, workdirs } = await startIdleAgents(head, ['node-a', 'node-b']));
});

after(async () => {
  await stopAll(head, agents, workdirs);
});

async function restartHead(): Promise<void> {
  await stop(head, 'SIGKILL');
  head = await startHeadProc(dataDir, { port: head.port, nodeTimeout: '5s' });
}

test('a head SIGKILLed mid-batch and restarted: all 200 jobs end exactly once, none re-run', async () => {
  const counter = path.join(tmp, 'runs.txt');
  const file = writeShellBatch(tmp, {
    name: 'big',
    jobs: Array.from({ length: JOBS }, (_, i) => ({
      name: `j${i}`,
      command: `echo j${i} >> ${counter}; echo "$DISTRIBUTE_JOB" > distribute_save/out.txt`,
    })),
  });
  const { id } = await addBatch(head, file);
  const archiveDir = path.join(dataDir, 'archive/ft/big');
  const archivedCount = () => (fs.existsSync(archiveDir) ? fs.readdirSync(archiveDir).length : 0);
  await waitFor(() => archivedCount() >= 50, 120_000, () => `only ${archivedCount()} jobs archived`);
  await restartHead();
  const restartedWith = archivedCount();
  assert.ok(restartedWith < JOBS, 'the head was killed mid-batch');

  const batch = await waitBatchEnded(head, id, 120_000);
  assert.equal(batch.outcome, 'finished');
  assert.equal(batch.counts.succeeded, JOBS, JSON.stringify(batch.counts));
  for (let i = 0; i < JOBS; i++) {
    const dir = path.join(archiveDir, `j${i}`);
    assert.equal(fs.readFileSync(path.join(dir, 'out.txt'), 'utf8'), `j${i}\n`);
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, '_distribute/result.json'), 'utf8')).result.outcome, 'succeeded');
  }
  const counts = runCounts(counter);
  const twice = [...counts].filter(([, n]) => n !== 1);
  assert.deepEqual(twice, [], 'no job ran twice');
  assert.equal(counts.size, JOBS);
});

test('a head killed right after add returned still has the batch after a restart and runs it', async () => {
  const file = writeShellBatch(tmp, {
    name: 'just-added',
    jobs: Array.from({ length: 4 }, (_, i) => ({ name: `k${i}`, command: 'echo hi > distribute_save/hi.txt' })),
  });
  await waitIdleNodes(head, 2);
  const { id } = await addBatch(head, file);
  await restartHead();
  const batch = await waitBatchEnded(head, id, 60_000);
  assert.equal(batch.counts.succeeded, 4);
  assert.equal(batch.name, 'just-added');
});
