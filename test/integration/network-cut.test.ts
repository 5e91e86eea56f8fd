/**
 * A network cut the agent survives: the agent process is stopped with SIGSTOP past the node
 * timeout (its job, in its own process group, keeps running), the head re-runs the job on the
 * other agent, then the agent is continued. Whichever run finishes first is archived, exactly
 * once; the head cancels the other run, whose processes must be gone afterwards.
 * The other way round: the head frozen past the timeout. Agents notice the silent head and
 * reconnect; the head, once continued, does not blame the nodes for its own silence, so nothing
 * runs twice.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { untilHead, watchHead, type HeadView } from '../helpers/head-watch.ts';
import { listFiles, startAgentProc, startHeadProc, stop, tempDir, waitBatchEnded, waitFor, type HeadProc, type Proc } from '../helpers/cluster.ts';
import { addBatch, jobProcessesUnder, runCounts, waitIdleNodes, writeShellBatch } from '../helpers/shell-batch.ts';

let head: HeadProc;
const agents = new Map<string, Proc>();
const workdirs = new Map<string, string>();
const tmp = tempDir('network-cut');

before(async () => {
  head = await startHeadProc(tempDir('head'), { nodeTimeout: '2s' });
  for (const name of ['node-a', 'node-b']) {
    workdirs.set(name, tempDir(name));
    agents.set(name, startAgentProc(head, name, workdirs.get(name)!));
  }
  await waitIdleNodes(head, 2);
});

after(async () => {
  for (const a of agents.values()) {
    a.child.kill('SIGCONT');
    await stop(a);
  }
  if (head) await stop(head);
  for (const wd of workdirs.values()) for (const pid of jobProcessesUnder(wd)) process.kill(pid, 'SIGKILL');
});

/**
 * One job whose first run sleeps `first` seconds and every later run `later` seconds (a marker
 * file outside the workdirs tells them apart). Each run appends a line to a counter file and
 * writes which node and attempt it was into its result.
 */
async function cutScenario(name: string, first: number, later: number) {
  const counter = path.join(tmp, `${name}-runs.txt`);
  const marker = path.join(tmp, `${name}-started`);
  const file = writeShellBatch(tmp, {
    name,
    jobs: [{
      name: 'j1',
      command: `echo j1 >> ${counter}; if [ -e ${marker} ]; then s=${later}; else touch ${marker}; s=${first}; fi; sleep $s; echo "slept $s" > distribute_save/who.txt`,
    }],
  });
  const watch = await watchHead(head);
  const { id } = await addBatch(head, file);
  const j1 = (v: HeadView) => v.running.find((j) => j.batchId === id && j.name === 'j1');
  const running = await watch.until((v) => j1(v)?.state === 'running' && j1(v), 'j1 to start');
  const cut: string = running.state === 'running' ? running.node : '';
  const other = cut === 'node-a' ? 'node-b' : 'node-a';
  agents.get(cut)!.child.kill('SIGSTOP');
  // The head gives up on the silent node and re-runs the job on the other one.
  try {
    await watch.until((v) => { const j = j1(v); return j?.state === 'running' && j.node === other; }, 'j1 to be re-run on the other node');
  } finally {
    agents.get(cut)!.child.kill('SIGCONT');
    watch.close();
  }
  const batch = await waitBatchEnded(head, id, 30_000);
  // Let the loser's cancellation and report settle: both nodes idle again.
  await waitIdleNodes(head, 2);
  return { id, batch, cut, other, counter };
}

function archivedResult(batch: string): { node: string; attempt: number; result: { outcome: string } } {
  return JSON.parse(fs.readFileSync(path.join(head.dataDir, 'archive/ft', batch, 'j1/_distribute/result.json'), 'utf8'));
}

test('the returning agent\'s run finishes first: its result is archived once and the re-run is cancelled', async () => {
  const { batch, cut, other, counter } = await cutScenario('cut-first', 5, 20);
  const j1 = batch.jobs[0];
  assert.equal(j1.outcome, 'succeeded');
  assert.equal(j1.node, cut);
  assert.equal(j1.attempt, 1);
  const meta = archivedResult('cut-first');
  assert.equal(meta.node, cut);
  assert.equal(meta.attempt, 1);
  assert.equal(fs.readFileSync(path.join(head.dataDir, 'archive/ft/cut-first/j1/who.txt'), 'utf8'), 'slept 5\n');
  assert.deepEqual(listFiles(path.join(head.dataDir, 'archive/ft/cut-first')).filter((f) => f.endsWith('result.json')), ['j1/_distribute/result.json']);
  assert.equal(runCounts(counter).get('j1'), 2, 'the job ran on both nodes');
  assert.deepEqual(jobProcessesUnder(workdirs.get(other)!), [], 'the losing run was killed');
  assert.deepEqual(listFiles(path.join(head.dataDir, 'staging')), [], 'the loser left nothing in staging');
});

test('the re-run finishes first: the returning agent\'s run is cancelled and never archived', async () => {
  const { batch, cut, other, counter } = await cutScenario('rerun-first', 30, 1);
  const j1 = batch.jobs[0];
  assert.equal(j1.outcome, 'succeeded');
  assert.equal(j1.node, other);
  assert.equal(j1.attempt, 2);
  const meta = archivedResult('rerun-first');
  assert.equal(meta.node, other);
  assert.equal(meta.attempt, 2);
  assert.equal(fs.readFileSync(path.join(head.dataDir, 'archive/ft/rerun-first/j1/who.txt'), 'utf8'), 'slept 1\n');
  assert.equal(runCounts(counter).get('j1'), 2);
  await waitFor(() => jobProcessesUnder(workdirs.get(cut)!).length === 0, 10_000, () => 'the returning run was not killed');
  assert.deepEqual(listFiles(path.join(head.dataDir, 'staging')), []);
});

test('a head frozen past the node timeout: agents reconnect, the running job is not re-run', async () => {
  const counter = path.join(tmp, 'frozen-runs.txt');
  const file = writeShellBatch(tmp, {
    name: 'frozen-head',
    jobs: [{ name: 'j1', command: `echo j1 >> ${counter}; sleep 5; echo done > distribute_save/who.txt` }],
  });
  const { id } = await addBatch(head, file);
  const started = await untilHead(head, (v) => v.running.find((j) => j.batchId === id && j.name === 'j1' && j.state === 'running'), 'j1 to start');
  const running = { node: started.state === 'running' ? started.node : '' };
  head.child.kill('SIGSTOP');
  await new Promise((r) => setTimeout(r, 4000));
  head.child.kill('SIGCONT');
  const batch = await waitBatchEnded(head, id, 60_000);
  assert.equal(batch.jobs[0].outcome, 'succeeded');
  assert.equal(batch.jobs[0].node, running.node);
  assert.equal(batch.jobs[0].attempt, 1);
  assert.equal(runCounts(counter).get('j1'), 1, 'the job ran once');
  assert.match(agents.get(running.node)!.output(), /head silent for \d+ ms; reconnecting/);
  assert.match(head.output(), /head was unresponsive for \d+ ms/);
  await waitIdleNodes(head, 2);
});
