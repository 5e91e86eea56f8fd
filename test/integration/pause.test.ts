/**
 * Pause and resume through the whole system: a real head and agent process, a python job whose
 * process tree has a child and a grandchild, and `distribute pause|resume` on the agent's local
 * control endpoint. One job lives through every step (manual pause, pause expiry, agent SIGKILLed
 * while paused, then restarted), so the run time check at the end covers all the pauses.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { processState } from '../../electron/agent/runner/process-tree.ts';
import { cli, ROOT, startAgentProc, startHeadProc, stop, tempDir, waitBatchEnded, waitFor, type HeadProc, type Proc } from '../helpers/cluster.ts';
import { watchHead, type HeadView, type HeadWatch } from '../helpers/head-watch.ts';

const ROLES = ['main', 'child', 'grandchild'] as const;
let head: HeadProc;
/** The head's live feed: waits on what the head says happened instead of polling `status`. */
let watch: HeadWatch;
let agent: Proc;
let workdir: string;
let watchDir: string;
let release: string;
let env: Record<string, string>;
let batchId: string;
let config: string;
/** Lower bounds of the time the job was stopped, summed over the steps. */
let pausedAtLeastMs = 0;
/** Taken before the batch was added: the job cannot have started earlier. */
let addedAt = 0;
/** Generous: process states are read from /proc, and a loaded CI machine is slow to signal. */
const PROC_MS = 20_000;

/** The job as the head's running list shows it now. */
const headJob = (v: HeadView) => v.running.find((r) => r.name === 'tree');

function startAgent(): Proc {
  return startAgentProc(head, 'pause-node', workdir, ['--control-port', '0', '--max-pause', '2h', '--owner', 'olga']);
}

const pids = () => ROLES.map((r) => Number(fs.readFileSync(path.join(watchDir, `pid-${r}`), 'utf8')));
const states = () => pids().map((p) => processState(p));
const ticks = () => ROLES.map((r) => fs.statSync(path.join(watchDir, `ticks-${r}`)).size);
const allStopped = () => states().every((s) => s === 'T');
const allRunning = () => states().every((s) => s !== null && s !== 'T' && s !== 'Z');
const local = (...args: string[]) => cli([...args, '--workdir', workdir], env);

async function assertTicking(expect: boolean): Promise<void> {
  const before = ticks();
  await new Promise((r) => setTimeout(r, 400));
  const after = ticks();
  ROLES.forEach((role, i) => assert.equal(after[i] > before[i], expect, `${role} ticks ${before[i]} → ${after[i]}`));
}

async function runningJob(): Promise<any> {
  const s = await cli(['status', '--json'], env);
  assert.equal(s.code, 0, s.stderr);
  return JSON.parse(s.stdout);
}

before(async () => {
  head = await startHeadProc(tempDir('pause-head'), { nodeTimeout: '3s' });
  env = { DISTRIBUTE_HEAD: head.url, DISTRIBUTE_TOKEN: head.adminToken };
  workdir = tempDir('pause-agent');
  watchDir = tempDir('pause-watch');
  release = path.join(watchDir, 'release');
  watch = await watchHead(head);
  agent = startAgent();
  await watch.until((v) => v.nodes.some((n) => n.state === 'idle'), `the agent to connect:\n${agent.output()}`);

  const dir = tempDir('pause-batch');
  config = path.join(dir, 'distribute-jobs.yaml');
  fs.copyFileSync(path.join(ROOT, 'test/fixtures/pause/job.py'), path.join(dir, 'job.py'));
  fs.writeFileSync(path.join(dir, 'params.json'), JSON.stringify({ watch: watchDir, release }));
  fs.writeFileSync(path.join(dir, 'distribute-jobs.yaml'), [
    'meta: { batch_name: pausing, namespace: tests, capabilities: [python3] }',
    'python:',
    '  initialize: { required_files: [] }',
    '  jobs:',
    '    - { name: tree, file: job.py, required_files: [{ path: params.json, alias: params.json }] }',
    '',
  ].join('\n'));
  addedAt = Date.now();
  const added = await cli(['add', path.join(dir, 'distribute-jobs.yaml'), '--json'], env);
  assert.equal(added.code, 0, added.stderr);
  batchId = JSON.parse(added.stdout).id;
  await waitFor(() => ROLES.every((r) => fs.existsSync(path.join(watchDir, `ticks-${r}`))), 60_000, () => `job did not start:\n${agent.output()}`);
});

after(async () => {
  watch?.close();
  fs.writeFileSync(release, '');
  await stop(agent);
  await stop(head);
});

test('the control endpoint refuses requests without the token or with a wrong one', async () => {
  const port = Number(fs.readFileSync(path.join(workdir, 'control-port'), 'utf8'));
  const none = await fetch(`http://127.0.0.1:${port}/api/state`);
  assert.equal(none.status, 401);
  const wrong = await fetch(`http://127.0.0.1:${port}/api/pause`, { method: 'POST', headers: { authorization: `Bearer ${'0'.repeat(64)}` }, body: '{}' });
  assert.equal(wrong.status, 401);
  assert.equal(allRunning(), true, 'a refused pause stops nothing');
  const mode = fs.statSync(path.join(workdir, 'control-token')).mode & 0o777;
  assert.equal(mode, 0o600);
});

test('pause stops the whole tree, the head shows it paused and keeps the node; resume continues it', async () => {
  await assertTicking(true);
  const paused = await local('pause', '--duration', '1h', '--json');
  const pausedAt = Date.now();
  assert.equal(paused.code, 0, paused.stderr);
  const snap = JSON.parse(paused.stdout);
  assert.equal(snap.current.job, 'tree');
  assert.ok(Math.abs(snap.pause.until - (snap.now + 3600_000)) < 2000, `until ${snap.pause.until} vs now ${snap.now}`);
  await waitFor(allStopped, PROC_MS, () => `not all stopped: ${states()}`);
  await assertTicking(false);

  const seen = await watch.until((v) => headJob(v)?.state === 'paused' && headJob(v), 'the head to show the job paused');
  assert.equal(seen.name, 'tree');
  assert.ok(seen.state === 'paused' && seen.pausedUntil !== null && Math.abs(seen.pausedUntil - snap.pause.until) < 1000, JSON.stringify(seen));
  const s = await runningJob();
  assert.equal(s.running[0].state, 'paused', 'status --json shows it paused too');
  // Longer than the head's node timeout (3 s): a paused node still heartbeats and is not lost.
  await new Promise((r) => setTimeout(r, 3500));
  const later = await runningJob();
  assert.equal(later.nodes[0].state, 'paused');
  assert.equal(later.running[0].state, 'paused');
  assert.equal(later.running[0].node, 'pause-node');

  const human = await local('pause', '--duration', '1h');
  assert.match(human.stdout, /node 'pause-node' paused until .* \(1h\)/);
  const resumed = await local('resume');
  pausedAtLeastMs += Date.now() - pausedAt - 1000;
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, /resumed; tests\/pausing tree continues/);
  await waitFor(allRunning, PROC_MS, () => `not all continued: ${states()}`);
  await assertTicking(true);
  await watch.until((v) => headJob(v)?.state === 'running', 'the head to show the job running again');
});

test('pause --node asks the head: the owner and admins may, other users may not', async () => {
  const tokens: Record<string, string> = {};
  for (const name of ['olga', 'mallory']) {
    const r = await cli(['user', 'add', name, '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    tokens[name] = JSON.parse(r.stdout).token;
  }
  const as = (user: string, ...args: string[]) => cli([...args, '--token', tokens[user]], { DISTRIBUTE_HEAD: head.url });

  const refused = await as('mallory', 'pause', '--node', 'pause-node');
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /only an admin or the owner/);
  assert.equal((await as('olga', 'pause', '--node', 'no-such-node')).code, 2);
  assert.equal((await cli(['pause', '--node', 'pause-node', '--head', 'http://127.0.0.1:1', '--token', 'x'])).code, 3);
  assert.equal((await as('olga', 'pause', '--node', 'pause-node', '--duration', 'soon')).code, 2);
  await assertTicking(true);

  const paused = await as('olga', 'pause', '--node', 'pause-node', '--duration', '1h', '--json');
  const pausedAt = Date.now();
  assert.equal(paused.code, 0, paused.stderr);
  assert.equal(JSON.parse(paused.stdout).node, 'pause-node');
  await waitFor(allStopped, PROC_MS, () => `not stopped by the head's pause: ${states()}`);
  await watch.until((v) => headJob(v)?.state === 'paused', 'the head to show the job paused');
  const resumed = await as('olga', 'resume', '--node', 'pause-node');
  pausedAtLeastMs += Date.now() - pausedAt - 1000;
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, /asked the head to resume node 'pause-node'/);
  await waitFor(allRunning, PROC_MS, () => `not continued by the head's resume: ${states()}`);
  await watch.until((v) => headJob(v)?.state === 'running', 'the head to show the job running again');
});

test('a pause ends by itself after its duration', async () => {
  const paused = await local('pause', '--duration', '2s', '--json');
  assert.equal(paused.code, 0, paused.stderr);
  // Measured from the moment the agent began the pause (its own clock, this machine's), not from
  // when the CLI exited: on a loaded machine the CLI may exit well after the pause began.
  const began: number = JSON.parse(paused.stdout).pause.since;
  assert.equal(typeof began, 'number', paused.stdout);
  await waitFor(allStopped, PROC_MS, () => `not stopped: ${states()}`);
  await waitFor(allRunning, PROC_MS, () => `did not continue after 2s: ${states()}`);
  const stoppedFor = Date.now() - began;
  assert.ok(stoppedFor >= 1900, `continued ${stoppedFor} ms after the pause began, before its 2 s were over`);
  pausedAtLeastMs += 1900;
  await watch.until((v) => headJob(v)?.state === 'running' && watch.node('pause-node')?.state !== 'paused', 'the head to show the pause over');
});

test('an agent killed while paused: the watchdog continues the job at the end of the pause', async () => {
  // Long enough that the agent is surely killed before its own timer would end the pause, even
  // on a loaded machine.
  const paused = await local('pause', '--duration', '5s');
  assert.equal(paused.code, 0, paused.stderr);
  await waitFor(allStopped, PROC_MS);
  await stop(agent, 'SIGKILL');
  assert.equal(allStopped(), true, 'still stopped right after the agent died');
  // Nobody is left to resume it but the watchdog: at the end (5 s) plus its grace (2 s).
  await waitFor(allRunning, 30_000, () => `the watchdog did not continue the job: ${states()}`);
  pausedAtLeastMs += 1500;
  agent = startAgent();
  await watch.until(() => watch.node('pause-node')?.state === 'busy', `the agent to come back:\n${agent.output()}`);
  await assertTicking(true);
});

test('an agent killed while paused continues the job when it restarts', async () => {
  const paused = await local('pause', '--duration', '1h');
  assert.equal(paused.code, 0, paused.stderr);
  const pausedAt = Date.now();
  await waitFor(allStopped, PROC_MS);
  await stop(agent, 'SIGKILL');
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(allStopped(), true, 'stays stopped while the agent is down (the pause lasts 1 h)');
  pausedAtLeastMs += Date.now() - pausedAt;
  agent = startAgent();
  await waitFor(allRunning, 60_000, () => `job not continued after the restart: ${states()}\n${agent.output()}`);
  await assertTicking(true);
  // The head learns that the node is no longer paused, and gives it work again later.
  await watch.until((v) => headJob(v)?.state === 'running' && watch.node('pause-node')?.state === 'busy', 'the head to see the job running again');
});

test('the job completes with its whole tree and its run time excludes every pause', async () => {
  fs.writeFileSync(release, '');
  const batch = await waitBatchEnded(head, batchId, 60_000);
  // The head may have re-adopted the run after the agent restarts (its own startedAt is then
  // later), so the wall time is bounded from the test's side: from before the add to now.
  const wall = Date.now() - addedAt;
  const job = batch.jobs[0];
  assert.equal(job.outcome, 'succeeded', JSON.stringify(job));
  const out = tempDir('pause-pull');
  const pulled = await cli(['pull', config, '--out', out], env);
  assert.equal(pulled.code, 0, pulled.stderr);
  const result = fs.readFileSync(path.join(out, 'tests', 'pausing', 'tree', 'result.txt'), 'utf8');
  assert.equal(result, 'done: main, child exited 0\n');
  // By construction the pauses above add up to at least 2.5 + 1.9 + 1.5 + 0.5 s on any machine
  // (the --node pause may be short when the machine is quiet).
  assert.ok(pausedAtLeastMs > 6000, `paused at least ${pausedAtLeastMs} ms`);
  assert.ok(job.runMs <= wall - pausedAtLeastMs + 500, `runMs ${job.runMs} should exclude ${pausedAtLeastMs} ms of pauses (wall ${wall})`);
  assert.ok(job.runMs > 1000, `runMs ${job.runMs}`);
});
