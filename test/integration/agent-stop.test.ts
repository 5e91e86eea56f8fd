/**
 * Stopping an agent on purpose (Ctrl-C, SIGTERM, tray Quit): by default the running job's whole
 * tree is killed and handed back, and the head re-queues it at once (well before the node timeout)
 * for another node; with `--on-exit keep` the job runs on and the next agent started there adopts it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { cli, startAgentProc, startHeadProc, stop, tempDir, waitBatchEnded, waitFor, type HeadProc, type Proc } from '../helpers/cluster.ts';
import { untilHead } from '../helpers/head-watch.ts';
import { addBatch, jobOf, jobProcessesUnder, runCounts, waitIdleNodes, writeShellBatch } from '../helpers/shell-batch.ts';

let head: HeadProc;
const tmp = tempDir('agent-stop');
const procs: Proc[] = [];
const workdirs: string[] = [];

before(async () => {
  // A long node timeout: any quick re-queue below comes from the hand-back, not from loss.
  head = await startHeadProc(tempDir('head'), { nodeTimeout: '60s' });
});

after(async () => {
  for (const p of procs) await stop(p, 'SIGKILL');
  await stop(head);
  for (const wd of workdirs) for (const pid of jobProcessesUnder(wd)) process.kill(pid, 'SIGKILL');
});

function agent(name: string, workdir: string, extra: string[] = []): Proc {
  const p = startAgentProc(head, name, workdir, extra);
  procs.push(p);
  return p;
}

test('SIGTERM hands the running job back: it is killed there and runs at once on another node', async () => {
  const counter = `${tmp}/runs-a.txt`;
  const wdA = tempDir('stop-a');
  const wdB = tempDir('stop-b');
  workdirs.push(wdA, wdB);
  const a = agent('stop-a', wdA);
  await waitIdleNodes(head, 1);
  const file = writeShellBatch(tmp, { name: 'handback', jobs: [{ name: 'long', command: `echo run >> ${counter}; sleep 8; echo done > distribute_save/out.txt` }] });
  const { id } = await addBatch(head, file);
  // The job runs 8 s: long enough to be stopped mid-run on a loaded machine.
  await untilHead(head, (v) => v.running.some((j) => j.batchId === id && j.state === 'running'), 'the job to run');
  await waitFor(() => jobProcessesUnder(wdA).length > 0, 30_000);
  const stoppedAt = Date.now();
  await stop(a);
  assert.deepEqual(jobProcessesUnder(wdA), [], 'no process of the job is left on the stopped node');
  const requeued = await jobOf(head, id, 'long');
  assert.equal(requeued.state, 'queued', 'the head re-queued the job right away');
  agent('stop-b', wdB);
  const batch = await waitBatchEnded(head, id, 30_000);
  assert.equal(batch.jobs[0].outcome, 'succeeded');
  assert.equal(batch.jobs[0].node, 'stop-b');
  assert.ok(Date.now() - stoppedAt < 30_000, 'well before the 60 s node timeout');
  assert.equal(runCounts(counter).get('run'), 2);
});

test('with --on-exit keep the job runs on and the restarted agent adopts it; nothing runs twice', async () => {
  const counter = `${tmp}/runs-k.txt`;
  const wd = tempDir('stop-keep');
  workdirs.push(wd);
  for (const p of procs) await stop(p);
  const first = agent('keeper', wd, ['--on-exit', 'keep']);
  await untilHead(head, (v) => v.nodes.some((n) => n.name === 'keeper' && n.state === 'idle'), 'keeper to be idle');
  const file = writeShellBatch(tmp, { name: 'keep', jobs: [{ name: 'long', command: `echo run >> ${counter}; sleep 8; echo kept > distribute_save/out.txt` }] });
  const { id } = await addBatch(head, file);
  await untilHead(head, (v) => v.running.some((j) => j.batchId === id && j.state === 'running'), 'the job to run');
  await waitFor(() => jobProcessesUnder(wd).length > 0, 30_000);
  await stop(first);
  assert.ok(jobProcessesUnder(wd).length > 0, 'the job runs on without its agent');
  agent('keeper', wd, ['--on-exit', 'keep']);
  const batch = await waitBatchEnded(head, id, 30_000);
  assert.equal(batch.jobs[0].outcome, 'succeeded');
  assert.equal(batch.jobs[0].attempt, 1, 'the same run, adopted');
  assert.equal(runCounts(counter).get('run'), 1);
});

test('server --max-hand-backs 1: the first hand-back ends the job rejected, with the count and the reason', async () => {
  const strict = await startHeadProc(tempDir('head-strict'), { nodeTimeout: '60s', extra: ['--max-hand-backs', '1'] });
  try {
    const wd = tempDir('stop-strict');
    workdirs.push(wd);
    const p = startAgentProc(strict, 'stop-strict', wd);
    procs.push(p);
    await waitIdleNodes(strict, 1);
    const file = writeShellBatch(tmp, { name: 'strict', jobs: [{ name: 'long', command: 'sleep 30' }] });
    const { id } = await addBatch(strict, file);
    await untilHead(strict, (v) => v.running.some((j) => j.batchId === id && j.state === 'running'), 'the job to run');
    await waitFor(() => jobProcessesUnder(wd).length > 0, 30_000);
    await stop(p);
    const batch = await waitBatchEnded(strict, id, 30_000);
    assert.equal(batch.jobs[0].outcome, 'rejected');
    assert.match((batch.jobs[0].result as { message: string }).message, /^handed back or rejected 1 times; last: /);
  } finally {
    await stop(strict);
  }
});

test('server --max-hand-backs 0 is a usage error naming the option', async () => {
  const bad = await cli(['server', '--data', tempDir('head-bad'), '--port', '0', '--max-hand-backs', '0']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--max-hand-backs: '0' is not a whole number of at least 1/);
});
