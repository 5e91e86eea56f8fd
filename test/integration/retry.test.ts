/**
 * `distribute retry`: only the failed jobs of an ended batch run again (the succeeded one does
 * not), the job's archived result stays until its new run finishes, another user is refused, and
 * inputs the head deleted when the batch ended are uploaded again with --config.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { api, cli, startAgentProc, startHeadProc, stop, tempDir, waitBatchEnded, waitFor, type HeadProc, type Proc } from '../helpers/cluster.ts';
import { untilHead } from '../helpers/head-watch.ts';
import { addUser, envFor, writeShellConfig } from './shell-batches.ts';

let head: HeadProc;
let agent: Proc;
let alice: string;
let bob: string;
const marks = tempDir('retry-marks');
const runs = (job: string) => (fs.existsSync(path.join(marks, job)) ? fs.readFileSync(path.join(marks, job), 'utf8').split('\n').filter(Boolean).length : 0);

before(async () => {
  head = await startHeadProc(tempDir('retry-head'));
  agent = startAgentProc(head, 'retry-node', tempDir('retry-node'));
  alice = await addUser(head, 'alice');
  bob = await addUser(head, 'bob');
  await untilHead(head, (v) => v.nodes.some((n) => n.state === 'idle'), `the agent to connect:\n${agent.output()}`);
});

after(async () => {
  await stop(agent);
  await stop(head);
});

test('retry re-runs only the failed jobs; the archived result is replaced when the new run finishes', async () => {
  // `flaky` fails its first run and succeeds (slowly) on the second.
  const cfg = writeShellConfig('rt', 'mixed', [
    { name: 'good', command: `echo run >> ${marks}/good; echo ok > distribute_save/out.txt` },
    { name: 'flaky', command: `echo run >> ${marks}/flaky; if [ "$(wc -l < ${marks}/flaky)" -ge 2 ]; then sleep 2; echo second > distribute_save/out.txt; else echo first > distribute_save/out.txt; exit 3; fi` },
  ]);
  assert.equal((await cli(['add', cfg], envFor(head, alice))).code, 0);
  const ended = await waitBatchEnded(head, 'rt/mixed', 30_000);
  assert.deepEqual(ended.jobs.map((j: any) => [j.name, j.outcome]), [['good', 'succeeded'], ['flaky', 'failed']]);
  const archived = path.join(head.dataDir, 'archive/rt/mixed/flaky/out.txt');
  assert.equal(fs.readFileSync(archived, 'utf8'), 'first\n');

  // Another user's private batch does not exist for them (as for kill).
  const refused = await cli(['retry', 'rt/mixed'], envFor(head, bob));
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /no batch 'rt\/mixed'/);
  const notFailed = await cli(['retry', 'rt/mixed', '--job', 'good'], envFor(head, alice));
  assert.equal(notFailed.code, 1);
  assert.match(notFailed.stderr, /job 'good' is succeeded; only failed or cancelled jobs can be retried/);

  const retried = await cli(['retry', 'rt/mixed', '--failed'], envFor(head, alice));
  assert.equal(retried.code, 0, retried.stderr);
  assert.equal(retried.stdout, 're-queued 1 job of rt/mixed: flaky\n');
  await waitFor(async () => (await api(head, '/api/batches/rt%2Fmixed')).body.jobs[1].state === 'running', 20_000);
  assert.equal(fs.readFileSync(archived, 'utf8'), 'first\n', 'the old result stays while the new run runs');
  const again = await waitBatchEnded(head, 'rt/mixed', 30_000);
  assert.deepEqual(again.jobs.map((j: any) => [j.name, j.outcome]), [['good', 'succeeded'], ['flaky', 'succeeded']]);
  assert.equal(again.outcome, 'finished');
  assert.equal(fs.readFileSync(archived, 'utf8'), 'second\n');
  assert.equal(runs('good'), 1, 'the succeeded job did not run again');
  assert.equal(runs('flaky'), 2);
  const nothing = await cli(['retry', 'rt/mixed'], envFor(head, alice));
  assert.equal(nothing.code, 1);
  assert.match(nothing.stderr, /has no failed or cancelled jobs to retry/);
});

test('a failed batch keeps its inputs for a retry; once deleted, they come back with --config', async () => {
  const cfg = writeShellConfig('rt', 'inputs', [{ name: 'once', command: `cat input/data.txt > distribute_save/copy.txt; echo run >> ${marks}/once; [ "$(wc -l < ${marks}/once)" -ge 2 ]` }], { files: { 'data.txt': 'payload\n' } });
  assert.equal((await cli(['add', cfg], envFor(head, alice))).code, 0);
  await waitBatchEnded(head, 'rt/inputs', 30_000);
  // The batch has a failed job: its input stays on the head for a retry (a day), though the batch ended.
  const inputs = path.join(head.dataDir, 'inputs');
  await new Promise((r) => setTimeout(r, 1000));
  const kept = fs.readdirSync(inputs).filter((f) => /^[0-9a-f]{64}$/.test(f));
  assert.equal(kept.length, 1, `the input of the failed batch is kept: ${kept}`);
  // A day later the sweep deletes it; here, by hand.
  fs.rmSync(path.join(inputs, kept[0]));
  const without = await cli(['retry', 'rt/inputs'], envFor(head, alice));
  assert.equal(without.code, 1);
  assert.match(without.stderr, /no longer has inputs of batch 'rt\/inputs' .*data\.txt.*--config CONFIG/);
  const withConfig = await cli(['retry', 'rt/inputs', '--config', cfg, '--json'], envFor(head, alice));
  assert.equal(withConfig.code, 0, withConfig.stderr);
  assert.deepEqual(JSON.parse(withConfig.stdout).retried, ['once']);
  const ended = await waitBatchEnded(head, 'rt/inputs', 30_000);
  assert.equal(ended.jobs[0].outcome, 'succeeded');
  assert.equal(fs.readFileSync(path.join(head.dataDir, 'archive/rt/inputs/once/copy.txt'), 'utf8'), 'payload\n');
});
