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
import { processState } from '../../electron/agent/process-tree.ts';
import { api, cli, ROOT, startAgentProc, startHeadProc, stop, tempDir, waitBatchEnded, waitFor, type HeadProc, type Proc } from '../helpers/cluster.ts';

const ROLES = ['main', 'child', 'grandchild'] as const;
let head: HeadProc;
let agent: Proc;
let workdir: string;
let watch: string;
let release: string;
let env: Record<string, string>;
let batchId: string;
let config: string;
/** Lower bounds of the time the job was stopped, summed over the steps. */
let pausedAtLeastMs = 0;
/** Taken before the batch was added: the job cannot have started earlier. */
let addedAt = 0;

function startAgent(): Proc {
  return startAgentProc(head, 'pause-node', workdir, ['--control-port', '0', '--max-pause', '2h', '--owner', 'olga']);
}

const pids = () => ROLES.map((r) => Number(fs.readFileSync(path.join(watch, `pid-${r}`), 'utf8')));
const states = () => pids().map((p) => processState(p));
const ticks = () => ROLES.map((r) => fs.statSync(path.join(watch, `ticks-${r}`)).size);
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
  watch = tempDir('pause-watch');
  release = path.join(watch, 'release');
  agent = startAgent();
  await waitFor(async () => (await api(head, '/api/nodes')).body.nodes?.some((n: any) => n.state === 'idle'), 20_000, () => `agent did not connect:\n${agent.output()}`);

  const dir = tempDir('pause-batch');
  config = path.join(dir, 'distribute-jobs.yaml');
  fs.copyFileSync(path.join(ROOT, 'test/fixtures/pause/job.py'), path.join(dir, 'job.py'));
  fs.writeFileSync(path.join(dir, 'params.json'), JSON.stringify({ watch, release }));
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
  await waitFor(() => ROLES.every((r) => fs.existsSync(path.join(watch, `ticks-${r}`))), 30_000, () => `job did not start:\n${agent.output()}`);
});

after(async () => {
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
  await waitFor(allStopped, 5000, () => `not all stopped: ${states()}`);
  await assertTicking(false);

  const s = await waitFor(async () => {
    const st = await runningJob();
    return st.running[0]?.state === 'paused' ? st : null;
  }, 5000, () => 'head never showed the job paused');
  assert.equal(s.running[0].name, 'tree');
  assert.ok(Math.abs(s.running[0].pausedUntil - snap.pause.until) < 1000);
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
  await waitFor(allRunning, 5000, () => `not all continued: ${states()}`);
  await assertTicking(true);
  await waitFor(async () => (await runningJob()).running[0]?.state === 'running', 5000, () => 'head still shows it paused');
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
  await waitFor(allStopped, 5000, () => `not stopped by the head's pause: ${states()}`);
  await waitFor(async () => (await runningJob()).running[0]?.state === 'paused', 5000);
  const resumed = await as('olga', 'resume', '--node', 'pause-node');
  pausedAtLeastMs += Date.now() - pausedAt - 1000;
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, /asked the head to resume node 'pause-node'/);
  await waitFor(allRunning, 5000, () => `not continued by the head's resume: ${states()}`);
  await waitFor(async () => (await runningJob()).running[0]?.state === 'running', 5000);
});

test('a pause ends by itself after its duration', async () => {
  const paused = await local('pause', '--duration', '2s', '--json');
  assert.equal(paused.code, 0, paused.stderr);
  // Measured from the moment the agent began the pause (its own clock, this machine's), not from
  // when the CLI exited: on a loaded machine the CLI may exit well after the pause began.
  const began: number = JSON.parse(paused.stdout).pause.since;
  assert.equal(typeof began, 'number', paused.stdout);
  await waitFor(allStopped, 10_000, () => `not stopped: ${states()}`);
  await waitFor(allRunning, 15_000, () => `did not continue after 2s: ${states()}`);
  const stoppedFor = Date.now() - began;
  assert.ok(stoppedFor >= 1900, `continued ${stoppedFor} ms after the pause began, before its 2 s were over`);
  pausedAtLeastMs += 1900;
  await waitFor(async () => {
    const st = await runningJob();
    return st.running[0]?.state === 'running' && st.nodes[0].state !== 'paused';
  }, 5000, () => 'head still shows the pause');
});

test('an agent killed while paused: the watchdog continues the job at the end of the pause', async () => {
  const paused = await local('pause', '--duration', '2s');
  assert.equal(paused.code, 0, paused.stderr);
  await waitFor(allStopped, 2000);
  await stop(agent, 'SIGKILL');
  assert.equal(allStopped(), true, 'still stopped right after the agent died');
  // Nobody is left to resume it but the watchdog: at the end (2 s) plus its grace (2 s).
  await waitFor(allRunning, 8000, () => `the watchdog did not continue the job: ${states()}`);
  pausedAtLeastMs += 1500;
  agent = startAgent();
  await waitFor(async () => (await runningJob()).nodes[0]?.state === 'busy', 20_000, () => `agent did not come back:\n${agent.output()}`);
  await assertTicking(true);
});

test('an agent killed while paused continues the job when it restarts', async () => {
  const paused = await local('pause', '--duration', '1h');
  assert.equal(paused.code, 0, paused.stderr);
  const pausedAt = Date.now();
  await waitFor(allStopped, 2000);
  await stop(agent, 'SIGKILL');
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(allStopped(), true, 'stays stopped while the agent is down (the pause lasts 1 h)');
  pausedAtLeastMs += Date.now() - pausedAt;
  agent = startAgent();
  await waitFor(allRunning, 20_000, () => `job not continued after the restart: ${states()}\n${agent.output()}`);
  await assertTicking(true);
  // The head learns that the node is no longer paused, and gives it work again later.
  await waitFor(async () => {
    const st = await runningJob();
    return st.running[0]?.state === 'running' && st.nodes[0]?.state === 'busy';
  }, 20_000, () => 'head did not see the job running again');
});

test('the job completes with its whole tree and its run time excludes every pause', async () => {
  fs.writeFileSync(release, '');
  const batch = await waitBatchEnded(head, batchId, 30_000);
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
