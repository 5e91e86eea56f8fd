/**
 * The agent core alone: a fake head link (the test plays the head), a fake file transfer, fake
 * job processes and a fake clock. Each test states what the agent does when the head (or the
 * job, or the clock) does something: assign, cancel, pause and resume, losing the head and
 * reconnecting, result-ack, and a refused upload.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CloseCode, type HeadMessage } from '../../../../shared/protocol/index.ts';
import type { Agent } from '../../../../electron/agent/agent.ts';
import type { AgentSettings } from '../../../../electron/agent/agent-settings.ts';
import { createAgent } from '../../../../electron/agent/create-agent.ts';
import { readSavedState } from '../../../../electron/agent/agent-store.ts';
import { AgentFakes } from '../../../helpers/agent-fakes.ts';
import { settle } from '../../../helpers/fake-clock.ts';
import { legacyRunId } from '../../../../shared/job/run-id.ts';
import { controlRoutes } from '../../../../shared/api/routes.ts';
import { startControlServer } from '../../../../electron/agent/control-server.ts';

type Assign = Extract<HeadMessage, { type: 'assign' }>;

function assign(runId: string, job = 'j1', extra: Partial<Assign['spec']> = {}): Assign {
  return {
    type: 'assign', runId, runKey: `key-${runId}`, batchId: 'b1', job, attempt: 1,
    batch: { id: 'b1', owner: 'olga', namespace: 'lab', name: 'sweep', kind: 'shell', capabilities: [], resources: {}, maxRetries: 0, requiredMounts: [], initFiles: [] },
    spec: { name: job, command: 'true', files: [], ...extra },
  };
}

/**
 * Resolves once `cond` holds, letting the agent's promise chains and state-file writes run (real
 * I/O, so real time; the fake clock does not move meanwhile). Generous: a loaded CI machine.
 */
async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
  assert.ok(cond(), `never happened: ${what}`);
}

async function started(settings: Partial<AgentSettings> = {}): Promise<{ agent: Agent; f: AgentFakes; workdir: string }> {
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-core-'));
  const f = new AgentFakes();
  const agent = createAgent({ headUrl: 'http://127.0.0.1:1', token: 'enroll', workdir, name: 'unit', tags: [], log: () => undefined, ...settings }, f.deps());
  await agent.start();
  assert.ok(f.link.started, 'start() opens the link');
  return { agent, f, workdir };
}

function stateFile(workdir: string): { runs: { runId: string; state: { phase: string; pid?: number } }[]; recent: { outcome: string }[] } {
  return readSavedState(path.join(workdir, 'agent-state.json')) as unknown as ReturnType<typeof stateFile>;
}

test('assign: inputs fetched, job launched and reported started; its end is uploaded and reported with clock times', async () => {
  const { agent, f, workdir } = await started();
  await f.link.connect({ credential: 'node-cred' });
  const t0 = f.clock.now();
  await f.link.deliver(assign('r1'));
  await until(() => f.link.of('job-started').length === 1, 'job-started');
  assert.deepEqual(f.transfer.fetched, ['r1']);
  assert.deepEqual((agent.snapshot().jobs ?? []).map((j) => j.phase), ['running']);
  assert.deepEqual(stateFile(workdir).runs[0]?.state, { phase: 'running', pid: f.launcher.last.pid, pgid: f.launcher.last.pid, pausedAt: null }, 'the pid is saved before the head hears of the start');

  await f.clock.advance(90_000);
  f.launcher.last.exit(3);
  await until(() => f.link.of('job-finished').length === 1, 'job-finished');
  const fin = f.link.of('job-finished')[0];
  assert.deepEqual(fin.result, { outcome: 'failed', exitCode: 3 });
  assert.equal(fin.startedAt, t0);
  assert.equal(fin.endedAt, t0 + 90_000);
  assert.equal(fin.runMs, 90_000);
  assert.deepEqual(f.transfer.uploads, [{ runId: 'r1', only: null }]);

  await f.link.deliver({ type: 'result-ack', runId: 'r1', status: 'archived' });
  await until(() => agent.snapshot().recent.length === 1, 'the run moves to the recent list');
  assert.equal(agent.snapshot().recent[0]?.outcome, 'failed');
  await f.clock.advance(250); // written with the next save, at most 250 ms on the agent's clock
  await until(() => stateFile(workdir).runs.length === 0, 'the acknowledged run is forgotten on disk');
  await agent.stop();
});

test('a repeated assign is ignored; one that does not fit, or arrives while paused or stopping, is rejected with a reason', async () => {
  const { agent, f } = await started();
  await f.link.connect();
  await f.link.deliver(assign('r1'));
  await f.link.deliver(assign('r1'));
  await until(() => f.link.of('job-started').length === 1, 'job-started');
  assert.equal(f.launcher.jobs.length, 1, 'the same run is not started twice');
  await f.link.deliver(assign('r2', 'j2'));
  assert.match(f.link.of('job-rejected')[0].reason, /busy/);

  f.launcher.last.exit(0);
  await until(() => f.link.of('job-finished').length === 1, 'job-finished');
  await f.link.deliver({ type: 'result-ack', runId: 'r1', status: 'archived' });
  await agent.pause(60_000);
  await f.link.deliver(assign('r3', 'j3'));
  assert.deepEqual(f.link.of('job-rejected').map((m) => [m.runId, m.reason]).at(-1), ['r3', 'node is paused']);
  await agent.stop();
  assert.equal(f.clock.pending, 0, 'stopping released every timer');
});

test('cancel: the job tree is killed and reported killed, not handed back', async () => {
  const { agent, f } = await started();
  await f.link.connect();
  await f.link.deliver(assign('r1'));
  await until(() => f.link.of('job-started').length === 1, 'job-started');
  await f.link.deliver({ type: 'cancel', runId: 'r1', reason: 'user cancelled' });
  await until(() => f.link.of('job-finished').length === 1, 'job-finished');
  assert.ok(f.launcher.last.killed);
  assert.deepEqual(f.link.of('job-finished')[0].result, { outcome: 'killed', signal: 'SIGTERM' });
  assert.equal(f.link.of('job-rejected').length, 0);
  await agent.stop();
});

test('pause from the head: job stopped with a watchdog, resumed at the end by the clock; stopped time is not run time', async () => {
  const { agent, f } = await started();
  await f.link.connect();
  await f.link.deliver(assign('r1'));
  await until(() => f.link.of('job-started').length === 1, 'job-started');
  const job = f.launcher.last;
  await f.clock.advance(10_000);
  await f.link.deliver({ type: 'pause', until: f.clock.now() + 60_000 });
  await until(() => f.link.of('node-paused').length === 1, 'node-paused');
  assert.equal(job.paused, true);
  assert.equal(f.watchdogs.live.size, 1, 'a watchdog guards the stopped job');
  assert.equal(f.link.of('job-paused')[0].until, f.clock.now() + 60_000);
  assert.notEqual(agent.snapshot().pause, null);

  await f.clock.advance(60_000);
  await until(() => f.link.of('node-resumed').length >= 2, 'node-resumed when the pause ends');
  assert.equal(job.paused, false);
  assert.equal(f.watchdogs.live.size, 0, 'the watchdog is stopped with the pause');
  assert.deepEqual(f.link.of('job-resumed').map((m) => m.runId), ['r1']);
  await f.clock.advance(5_000);
  job.exit(0);
  await until(() => f.link.of('job-finished').length === 1, 'job-finished');
  assert.equal(f.link.of('job-finished')[0].runMs, 15_000, '75 s of wall time minus the 60 s stopped');
  await agent.stop();
});

test('pause at the maximum with atMaxPause requeue: the job is killed and handed back; the node stays paused', async () => {
  const { agent, f } = await started({ maxPauseMs: 120_000, atMaxPause: 'requeue' });
  await f.link.connect();
  await f.link.deliver(assign('r1'));
  await until(() => f.link.of('job-started').length === 1, 'job-started');
  await agent.pause(null);
  await f.clock.advance(120_000);
  await until(() => f.link.of('job-rejected').length === 1, 'handed back');
  assert.match(f.link.of('job-rejected')[0].reason, /paused for the maximum/);
  assert.ok(f.launcher.last.killed);
  assert.equal(agent.snapshot().pause?.until, null, 'still paused, until resumed');
  assert.equal(agent.snapshot().recent[0]?.outcome, 'handed back');
  await agent.stop();
  assert.equal(agent.snapshot().pause, null, 'stopping never leaves the node paused');
});

test('head lost while the job runs: it runs on; the next hello holds it, and an unanswered job-finished is sent again on welcome', async () => {
  const { agent, f } = await started();
  await f.link.connect();
  await f.link.deliver(assign('r1'));
  await until(() => f.link.of('job-started').length === 1, 'job-started');
  await f.link.lose();
  assert.equal(agent.snapshot().connection, 'offline');
  assert.equal(f.launcher.last.killed, false, 'losing the head does not touch the job');

  const hello = await f.link.connect();
  assert.deepEqual(hello.held.map((h) => [h.runId, h.state]), [['r1', 'running']]);
  assert.equal(hello.held[0]?.runKey, 'key-r1');

  f.launcher.last.exit(0);
  await until(() => f.link.of('job-finished').length === 1, 'job-finished');
  await f.link.lose();
  const again = await f.link.connect();
  assert.deepEqual(again.held.map((h) => [h.runId, h.state]), [['r1', 'finished']]);
  await until(() => f.link.of('job-finished').length === 2, 'job-finished again after the welcome');
  await f.link.deliver({ type: 'result-ack', runId: 'r1', status: 'discarded' });
  await until(() => agent.snapshot().recent.length === 1, 'released');
  assert.equal(agent.snapshot().recent[0]?.outcome, 'discarded');
  await agent.stop();
});

test('no answer to job-finished: sent again after the ack timeout; missing files are uploaded again', async () => {
  const { agent, f } = await started();
  await f.link.connect();
  await f.link.deliver(assign('r1'));
  await until(() => f.link.of('job-started').length === 1, 'job-started');
  f.launcher.last.exit(0);
  await until(() => f.link.of('job-finished').length === 1, 'job-finished');
  await f.clock.advance(30_000);
  await until(() => f.link.of('job-finished').length === 2, 'job-finished again');
  await f.link.deliver({ type: 'result-ack', runId: 'r1', status: 'missing-files', missing: ['stdout.txt'] });
  await until(() => f.transfer.uploads.length === 2, 'upload again');
  assert.deepEqual(f.transfer.uploads[1], { runId: 'r1', only: ['stdout.txt'] });
  await until(() => f.link.of('job-finished').length === 3, 'job-finished after the re-upload');
  await f.link.deliver({ type: 'result-ack', runId: 'r1', status: 'archived' });
  await until(() => agent.snapshot().recent.length === 1, 'released');
  await agent.stop();
  assert.equal(f.clock.pending, 0, 'no ack timer outlives the report');
});

test('a refused upload hands the run back with the reason and forgets it', async () => {
  const { agent, f, workdir } = await started();
  await f.link.connect();
  f.transfer.refuseUploads = new Error('HTTP 413: the head has no room');
  await f.link.deliver(assign('r1'));
  await until(() => f.link.of('job-started').length === 1, 'job-started');
  f.launcher.last.exit(0);
  await until(() => f.link.of('job-rejected').length === 1, 'job-rejected');
  assert.match(f.link.of('job-rejected')[0].reason, /HTTP 413/);
  assert.equal(f.link.of('job-finished').length, 0);
  await settle();
  assert.deepEqual(agent.snapshot().jobs, []);
  await until(() => stateFile(workdir).runs.length === 0, 'forgotten on disk');
  await agent.stop();
});

test('the head revokes the node: running jobs are killed and the link stops; an unknown credential enrolls again', async () => {
  const { agent, f } = await started();
  await f.link.connect({ credential: 'node-cred' });
  assert.equal(agent.enrolled, true);
  await f.link.lose(CloseCode.unauthorized, 'unknown credential');
  assert.deepEqual(f.link.refusals, ['retry-now']);
  assert.equal(agent.enrolled, false, 'back to the enrollment token');
  assert.equal(f.link.opts.token(), 'enroll');

  await f.link.connect({ credential: 'node-cred-2' });
  await f.link.deliver(assign('r1'));
  await until(() => f.link.of('job-started').length === 1, 'job-started');
  await f.link.lose(CloseCode.revoked, 'removed by the admin');
  assert.deepEqual(f.link.refusals, ['retry-now', 'stop']);
  await until(() => f.launcher.last.killed, 'the job is killed');
  await agent.stop();
});

test('upgrade in place: a 0.1 workdir\'s running job is adopted by its pid; a flat-form run that was uploading finishes its upload', async () => {
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-core-'));
  const fixture = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../../fixtures/v0.1-inflight/agent/agent-state.json'), 'utf8'));
  const uploading = {
    ...fixture.run, runId: 'r-up', runKey: 'key-up', attempt: 2, phase: 'uploading', pid: 1, pgid: 1,
    exited: { result: { outcome: 'succeeded', exitCode: 0 }, endedAt: 2000, runMs: 1000 },
  };
  fs.writeFileSync(path.join(workdir, 'agent-state.json'), JSON.stringify({ ...fixture, runs: [uploading] }));
  const f = new AgentFakes();
  const agent = createAgent({ headUrl: 'http://127.0.0.1:1', token: 'enroll', workdir, name: 'unit', tags: [], log: () => undefined }, f.deps());
  await agent.start();
  assert.deepEqual(f.launcher.adopted.map((j) => j.pid), [fixture.run.pid], 'the 0.1 job is adopted, not restarted');
  const hello = await f.link.connect();
  assert.deepEqual(hello.held.map((h) => [h.runId, h.state]).sort(), [[legacyRunId(fixture.run.batch.id, fixture.run.spec.name, fixture.run.attempt), 'running'], ['r-up', 'running']].sort());
  await until(() => f.link.of('job-finished').length === 1, 'the interrupted upload is finished and reported');
  const fin = f.link.of('job-finished')[0];
  assert.equal(fin?.runId, 'r-up');
  assert.deepEqual(fin?.result, { outcome: 'succeeded', exitCode: 0 });
  assert.equal(fin?.endedAt, 2000);
  await until(() => stateFile(workdir).runs.every((r) => 'state' in r && !('phase' in r)), 'saved in the current form');
  f.launcher.adopted[0]?.kill();
  await agent.stop();
});

test('the control endpoint answers with the agent\'s clock, and a pause through it ends on that clock', async () => {
  const { agent, f, workdir } = await started();
  const server = await startControlServer({ target: agent, workdir, port: 0 });
  try {
    const call = async (p: string, body?: unknown) => {
      const res = await fetch(`http://127.0.0.1:${server.port}${p}`, {
        method: body ? 'POST' : 'GET', headers: { authorization: `Bearer ${server.token}` }, body: body ? JSON.stringify(body) : undefined,
      });
      return await res.json() as { now: number; pause: { until: number | null } | null };
    };
    assert.equal((await call(controlRoutes.state())).now, f.clock.now());
    const paused = await call(controlRoutes.pause(), { duration: '10m' });
    assert.equal(paused.pause?.until, f.clock.now() + 600_000);
    await f.clock.advance(600_000);
    assert.equal((await call(controlRoutes.state())).pause, null, 'ended by the agent\'s clock');
  } finally {
    await server.close();
    await agent.stop();
  }
});

test('a job in hand (assign ahead) waits while the node is busy and starts the moment the running job ends; a second one is refused', async () => {
  const { agent, f } = await started();
  await f.link.connect();
  await f.link.deliver(assign('r1'));
  await until(() => f.link.of('job-started').length === 1, 'job-started r1');
  await f.link.deliver({ ...assign('r2', 'j2'), ahead: true });
  await f.link.deliver({ ...assign('r3', 'j3'), ahead: true });
  assert.deepEqual(f.link.of('job-rejected').map((m) => [m.runId, m.reason.split(':')[0]]), [['r3', 'busy']], 'one job in hand at a time');
  assert.deepEqual((agent.snapshot().jobs ?? []).map((j) => [j.job, j.phase]), [['j1', 'running'], ['j2', 'waiting']]);
  assert.equal(f.launcher.jobs.length, 1, 'nothing started beside the running job');
  assert.deepEqual(f.transfer.fetched, ['r1'], 'its inputs wait too');
  const t1 = f.clock.now();
  f.launcher.last.exit(0);
  await until(() => f.link.of('job-started').length === 2, 'job-started r2');
  assert.equal(f.link.of('job-started')[1].runId, 'r2');
  assert.equal(f.launcher.jobs.length, 2);
  await f.clock.advance(5_000);
  f.launcher.last.exit(0);
  await until(() => f.link.of('job-finished').length === 2, 'both reported');
  const second = f.link.of('job-finished')[1];
  assert.equal(second.startedAt, t1, 'its run time starts when it started, not when it was handed over');
  assert.equal(second.runMs, 5_000);
  await agent.stop();
});

test('a job in hand is reported killed when cancelled, and handed back (never started) when the node pauses or the agent stops', async () => {
  const { agent, f } = await started();
  await f.link.connect();
  await f.link.deliver(assign('r1'));
  await until(() => f.link.of('job-started').length === 1, 'job-started r1');
  await f.link.deliver({ ...assign('r2', 'j2'), ahead: true });
  await f.link.deliver({ type: 'cancel', runId: 'r2', reason: 'user cancelled' });
  await until(() => f.link.of('job-finished').length === 1, 'the cancelled job in hand is reported');
  assert.deepEqual([f.link.of('job-finished')[0].runId, f.link.of('job-finished')[0].result.outcome], ['r2', 'killed']);
  await f.link.deliver({ type: 'result-ack', runId: 'r2', status: 'discarded' });

  await f.link.deliver({ ...assign('r3', 'j3'), ahead: true });
  await agent.pause(60_000);
  await until(() => f.link.of('job-rejected').length === 1, 'handed back at the pause');
  assert.deepEqual(f.link.of('job-rejected').map((m) => [m.runId, m.reason, m.unstarted]), [['r3', 'node is paused', true]]);
  await agent.resume();
  await f.link.deliver({ ...assign('r4', 'j4'), ahead: true });
  await agent.stop();
  assert.deepEqual(f.link.of('job-rejected').map((m) => [m.runId, m.reason]).at(-1), ['r4', 'the agent is stopping']);
  assert.equal(f.link.of('job-started').length, 1, 'no job in hand ever started');
});

test('the job in hand starts only once the previous run\'s move out of the working folder is on disk', async () => {
  const { agent, f, workdir } = await started();
  await f.link.connect({ inlineResults: 256 * 1024 });
  await f.link.deliver(assign('r1'));
  await until(() => f.link.of('job-started').length === 1, 'job-started r1');
  await f.link.deliver({ ...assign('r2', 'j2'), ahead: true });
  let r1OnDisk: string | undefined;
  f.launcher.onLaunch = () => { r1OnDisk = stateFile(workdir).runs.find((r) => r.runId === 'r1')?.state.phase; };
  f.launcher.last.exit(0);
  await until(() => f.link.of('job-started').length === 2, 'job-started r2');
  // Saved as 'running' (its pid) it would be adopted again after a crash, and its results taken
  // from the folder the next job now writes into.
  assert.ok(r1OnDisk === 'uploading' || r1OnDisk === 'finished', `r1 was '${r1OnDisk}' on disk when r2 started`);
  await agent.stop();
});
