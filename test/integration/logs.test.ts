/**
 * `distribute logs`: a slow job's lines arrive with --follow while it still runs and the command
 * ends when the job ends; a finished job's logs come from the archive, per stream on request.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { api, BIN, cli, startAgentProc, startHeadProc, stop, tempDir, waitBatchEnded, waitFor, type HeadProc, type Proc } from '../helpers/cluster.ts';
import { untilHead, watchHead } from '../helpers/head-watch.ts';
import { envFor, writeShellConfig } from './shell-batches.ts';

let head: HeadProc;
let agent: Proc;

before(async () => {
  head = await startHeadProc(tempDir('logs-head'), { nodeTimeout: '2s' });
  agent = startAgentProc(head, 'logs-node', tempDir('logs-node'));
  await untilHead(head, (v) => v.nodes.some((n) => n.state === 'idle'), `the agent to connect:\n${agent.output()}`);
});

after(async () => {
  await stop(agent);
  await stop(head);
});

test('logs --follow streams a running job and ends with it; archived logs afterwards', async () => {
  const cfg = writeShellConfig('logs', 'slow', [
    { name: 'ticker', command: 'i=1; while [ $i -le 6 ]; do echo "line $i"; echo "err $i" >&2; i=$((i+1)); sleep 0.7; done' },
  ]);
  const watch = await watchHead(head);
  assert.equal((await cli(['add', cfg], envFor(head))).code, 0);
  await watch.until((v) => v.running.some((j) => j.batch === 'slow' && j.name === 'ticker'), 'the job to run');

  const child = spawn(process.execPath, [BIN, 'logs', 'logs/slow', 'ticker', '--follow', '--stream', 'stdout'], { env: { ...process.env, ...envFor(head) } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));

  await waitFor(() => /line \d/.test(out), 30_000, () => `no live line; stdout=${out} stderr=${err}`);
  const state = (await api(head, '/api/batches/logs%2Fslow')).body.jobs[0].state;
  assert.equal(state, 'running', 'a line arrived while the job was still running');
  watch.close();
  assert.equal(await exited, 0, err);
  assert.match(out, /line 6\n/, 'the follow ends after the last line');
  assert.doesNotMatch(out, /err \d/, '--stream stdout leaves stderr out');

  await waitBatchEnded(head, 'logs/slow', 60_000);
  const archived = await cli(['logs', 'logs/slow', 'ticker'], envFor(head));
  assert.equal(archived.code, 0, archived.stderr);
  assert.equal(archived.stdout, [1, 2, 3, 4, 5, 6].map((i) => `line ${i}\n`).join('') + [1, 2, 3, 4, 5, 6].map((i) => `err ${i}\n`).join(''));
  const onlyErr = await cli(['logs', 'logs/slow', 'ticker', '--stream', 'stderr'], envFor(head));
  assert.equal(onlyErr.stdout, [1, 2, 3, 4, 5, 6].map((i) => `err ${i}\n`).join(''));

  const badStream = await cli(['logs', 'logs/slow', 'ticker', '--stream', 'both'], envFor(head));
  assert.equal(badStream.code, 2);
  const noJob = await cli(['logs', 'logs/slow', 'nope'], envFor(head));
  assert.equal(noJob.code, 1);
  assert.match(noJob.stderr, /has no job 'nope'/);
});

test('logs of a running job start at its first line; --follow too, then streams on; --tail N starts N lines back', async () => {
  const cfg = writeShellConfig('logs', 'ticking', [
    { name: 'ticker', command: 'i=1; while [ $i -le 60 ]; do echo "line $i"; i=$((i+1)); sleep 0.2; done' },
  ]);
  assert.equal((await cli(['add', cfg], envFor(head))).code, 0);
  await untilHead(head, (v) => v.running.some((j) => j.batch === 'ticking' && j.name === 'ticker'), 'the job to run');
  // Asked 4 s after the start: the lines printed before still come, from the first one.
  await new Promise((r) => setTimeout(r, 4000));
  const soFar = await cli(['logs', 'logs/ticking', 'ticker'], envFor(head));
  assert.equal(soFar.code, 0, soFar.stderr);
  assert.match(soFar.stdout, /^line 1\nline 2\n/, soFar.stdout);
  assert.match(soFar.stderr, /is running: this is its output so far/);

  const child = spawn(process.execPath, [BIN, 'logs', 'logs/ticking', 'ticker', '--follow'], { env: { ...process.env, ...envFor(head) } });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const tail = await cli(['logs', 'logs/ticking', 'ticker', '--tail', '2'], envFor(head));
  assert.equal(tail.stdout.split('\n').length, 3, `two lines: ${JSON.stringify(tail.stdout)}`);
  assert.doesNotMatch(tail.stdout, /^line 1\n/);
  assert.equal(await exited, 0);
  assert.ok(out.startsWith('line 1\nline 2\n'), `--follow began at line 1: ${out.slice(0, 80)}`);
  assert.equal(out, Array.from({ length: 60 }, (_, i) => `line ${i + 1}\n`).join(''), 'every line once, in order, to the end');
  await waitBatchEnded(head, 'logs/ticking', 60_000);
  const archivedTail = await cli(['logs', 'logs/ticking', 'ticker', '--tail', '1'], envFor(head));
  assert.equal(archivedTail.stdout, 'line 60\n');
  const badTail = await cli(['logs', 'logs/ticking', 'ticker', '--tail', 'x'], envFor(head));
  assert.equal(badTail.code, 2);
});
