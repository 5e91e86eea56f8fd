/**
 * Retries and build failures with real processes: `max_retries` re-runs a job that failed (one
 * that fails the first time succeeds on the retry; one that always fails ends failed after
 * 1 + max_retries runs); a build step failing on one node keeps the batch off that node; a build
 * step failing on every compatible node fails the batch, with the build log in
 * `distribute status BATCH --json` (buildFailures).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { cli, startHeadProc, tempDir, waitBatchEnded, type HeadProc, type Proc } from '../helpers/cluster.ts';
import { addBatch, envFor, runCounts, waitIdleNodes, writeShellBatch, startIdleAgents, stopAll } from '../helpers/shell-batch.ts';

let head: HeadProc;
let agents: Proc[] = [];
let workdirs: string[] = [];
const tmp = tempDir('retries');

before(async () => {
  head = await startHeadProc(tempDir('head'), { nodeTimeout: '3s' });
  ({ agents, workdirs } = await startIdleAgents(head, ['node-a', 'node-b']));
});

after(async () => {
  await stopAll(head, agents, workdirs);
});

test('max_retries re-runs a failed job: a job failing once succeeds on the retry, one always failing ends failed', async () => {
  const counter = path.join(tmp, 'runs.txt');
  const marker = path.join(tmp, 'flaky-failed-once');
  const file = writeShellBatch(tmp, {
    name: 'retry',
    maxRetries: 2,
    jobs: [
      { name: 'flaky', command: `echo flaky >> ${counter}; if [ -e ${marker} ]; then echo ok > distribute_save/ok.txt; else touch ${marker}; exit 5; fi` },
      { name: 'broken', command: `echo broken >> ${counter}; echo nope >&2; exit 7` },
      { name: 'fine', command: `echo fine >> ${counter}` },
    ],
  });
  const { id } = await addBatch(head, file);
  const batch = await waitBatchEnded(head, id, 30_000);
  const job = (name: string) => {
    const found = batch.jobs.find((j) => j.name === name);
    assert.ok(found, `no job ${name}`);
    return found;
  };
  assert.equal(job('flaky').outcome, 'succeeded');
  assert.equal(job('flaky').retries, 1);
  assert.equal(job('flaky').attempts, 2);
  assert.deepEqual(job('broken').result, { outcome: 'failed', exitCode: 7 });
  assert.equal(job('broken').retries, 2);
  assert.equal(job('fine').retries, 0);
  const runs = runCounts(counter);
  assert.deepEqual([runs.get('flaky'), runs.get('broken'), runs.get('fine')], [2, 3, 1]);
});

test('a build failing on one node keeps the batch off that node', async () => {
  const file = writeShellBatch(tmp, {
    name: 'picky-build',
    // The batch folder lies in the agent's workdir, whose name holds the node name.
    build: 'case "$PWD" in *node-a*) echo "no compiler on a" >&2; exit 4;; esac; echo built',
    jobs: Array.from({ length: 4 }, (_, i) => ({ name: `p${i}`, command: 'sleep 0.3; echo ok > distribute_save/ok.txt' })),
  });
  const { id } = await addBatch(head, file);
  const batch = await waitBatchEnded(head, id, 30_000);
  assert.equal(batch.outcome, 'finished');
  assert.equal(batch.counts.succeeded, 4);
  assert.deepEqual([...new Set(batch.jobs.map((j) => j.node))], ['node-b']);
  assert.deepEqual(Object.keys(batch.buildFailures), ['node-a']);
  assert.match(batch.buildFailures['node-a'], /no compiler on a/);
});

test('a build failing on every compatible node fails the batch with the build log', async () => {
  const file = writeShellBatch(tmp, {
    name: 'no-build',
    build: 'echo compiling; echo "compiler exploded" >&2; exit 4',
    jobs: Array.from({ length: 3 }, (_, i) => ({ name: `n${i}`, command: 'echo never' })),
  });
  const { id } = await addBatch(head, file);
  await waitBatchEnded(head, id, 30_000);
  const r = await cli(['status', id, '--json'], envFor(head));
  assert.equal(r.code, 0, r.stderr);
  const batch = JSON.parse(r.stdout);
  assert.equal(batch.outcome, 'build-failed');
  assert.deepEqual(Object.keys(batch.buildFailures).sort(), ['node-a', 'node-b']);
  for (const log of Object.values(batch.buildFailures) as string[]) {
    assert.match(log, /exited with code 4/);
    assert.match(log, /compiling/);
    assert.match(log, /compiler exploded/);
  }
  for (const j of batch.jobs) assert.equal(j.outcome, 'build-failed', j.name);
  const text = await cli(['status', id], envFor(head));
  assert.match(text.stdout, /build failed on node-a:[\s\S]*compiler exploded/);
  await waitIdleNodes(head, 2);
});
