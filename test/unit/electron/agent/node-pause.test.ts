/**
 * The node's pause (node-pause.ts) with a fake clock, fake job processes and fake watchdogs: the
 * cap at the maximum, the end timer, replacing a pause, stopped time kept out of run time, the
 * hand-back at the maximum, and a pause dropped after an agent restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AgentMessage } from '../../../../shared/protocol/index.ts';
import { AgentStore, type PersistedRun } from '../../../../electron/agent/agent-store.ts';
import { NodePause } from '../../../../electron/agent/node-pause.ts';
import { FakeJob, FakeWatchdogs } from '../../../helpers/agent-fakes.ts';
import { FakeClock } from '../../../helpers/fake-clock.ts';

function run(runId: string, startedAt: number): PersistedRun {
  return {
    runId, attempt: 1, state: { phase: 'running', pid: 1000, pgid: 1000, pausedAt: null }, startedAt, pausedMs: 0, whole: true,
    batch: { id: 'b', owner: 'o', namespace: 'lab', name: 'sweep', kind: 'shell', capabilities: [], resources: {}, maxRetries: 0, requiredMounts: [], initFiles: [] },
    spec: { name: runId, command: 'true', files: [] },
  };
}

/** The running state of `run` (the test only pauses running runs). */
function running(r: PersistedRun): Extract<PersistedRun['state'], { phase: 'running' }> {
  assert.equal(r.state.phase, 'running');
  return r.state as Extract<PersistedRun['state'], { phase: 'running' }>;
}

/** The stored pause, read through a call so the compiler does not narrow it across awaits. */
function pauseOf(store: AgentStore): AgentStore['state']['pause'] {
  return store.state.pause;
}

function setup(opts: { maxPauseMs?: number; atMaxPause?: 'resume' | 'requeue' } = {}) {
  const clock = new FakeClock();
  const store = new AgentStore(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pause-')), 'agent-state.json'), () => undefined);
  const watchdogs = new FakeWatchdogs();
  const sent: AgentMessage[] = [];
  const jobs: { run: PersistedRun; proc: FakeJob }[] = [];
  const build = new FakeJob(99);
  const pause = new NodePause({
    store, clock, watchdogs, jobs: () => jobs, otherProcs: () => [build], send: (m) => { sent.push(m); return true; },
    log: () => undefined, ...opts,
  });
  const handedBack: string[] = [];
  pause.on('hand-back', (r, reason) => handedBack.push(`${r.runId}: ${reason}`));
  let changes = 0;
  pause.on('changed', () => { changes++; });
  const add = (id: string) => {
    const r = run(id, clock.now());
    store.state.runs.push(r);
    const proc = new FakeJob(1000 + jobs.length);
    jobs.push({ run: r, proc });
    return { run: r, proc };
  };
  return { clock, store, watchdogs, sent, jobs, build, pause, handedBack, add, changes: () => changes };
}

test('a pause stops every job and build with a watchdog each, ends by itself on the clock, and its time is not run time', async () => {
  const t = setup();
  const a = t.add('a');
  await t.clock.advance(1000);
  await t.pause.pause(60_000, 'user');
  assert.equal(a.proc.paused, true);
  assert.equal(t.build.paused, true);
  assert.equal(t.watchdogs.live.size, 1);
  assert.equal(running(a.run).pausedAt, t.clock.now());
  assert.deepEqual(t.sent.map((m) => m.type), ['job-paused', 'node-paused']);
  assert.equal(pauseOf(t.store)?.until, t.clock.now() + 60_000);
  assert.equal(t.changes(), 1);

  await t.clock.advance(59_999);
  assert.equal(a.proc.paused, true, 'not a moment early');
  await t.clock.advance(1);
  assert.equal(a.proc.paused, false);
  assert.equal(t.build.paused, false);
  assert.equal(pauseOf(t.store), null);
  assert.equal(a.run.pausedMs, 60_000);
  assert.equal(running(a.run).pausedAt, null);
  assert.equal(t.watchdogs.live.size, 0);
  assert.deepEqual(t.sent.map((m) => m.type).slice(2), ['job-resumed', 'node-resumed']);
  assert.equal(t.clock.pending, 0);
});

test('capped at the maximum; replacing a pause keeps its start; zero resumes; until-resumed ends at the maximum too', async () => {
  const t = setup({ maxPauseMs: 3_600_000 });
  const start = t.clock.now();
  await t.pause.pause(5 * 3_600_000, 'user');
  assert.equal(pauseOf(t.store)?.capAt, start + 3_600_000);
  assert.equal(pauseOf(t.store)?.atMax, true);
  await t.clock.advance(10_000);
  await t.pause.pause(60_000, 'head');
  assert.equal(pauseOf(t.store)?.since, start, 'the pause is the same one');
  assert.equal(pauseOf(t.store)?.until, t.clock.now() + 60_000);
  assert.deepEqual(t.clock.delays(), [60_000], 'one end timer, the new one');
  await t.pause.pause(0, 'user');
  assert.equal(pauseOf(t.store), null);
  await t.pause.pause(null, 'user');
  assert.equal(pauseOf(t.store)?.until, null);
  await t.clock.advance(3_600_000);
  assert.equal(pauseOf(t.store), null, 'atMaxPause resume (default): resumed at the maximum');
});

test('at the maximum with atMaxPause requeue: each running job is handed back; the node stays paused until resumed', async () => {
  const t = setup({ maxPauseMs: 120_000, atMaxPause: 'requeue' });
  t.add('a');
  t.add('b');
  await t.pause.pause(null, 'user');
  await t.clock.advance(120_000);
  assert.deepEqual(t.handedBack, ['a: paused for the maximum time; handed back to run elsewhere', 'b: paused for the maximum time; handed back to run elsewhere']);
  assert.equal(pauseOf(t.store)?.until, null);
  await t.pause.resume();
  assert.equal(pauseOf(t.store), null);
});

test('a job that ends while stopped: its stopped time is not run time and its watchdog goes', async () => {
  const t = setup();
  const a = t.add('a');
  await t.pause.pause(60_000, 'user');
  await t.clock.advance(7000);
  t.pause.jobEnded(a.run);
  assert.equal(a.run.pausedMs, 7000);
  assert.equal(t.watchdogs.live.size, 0);
});

test('after a restart the pause is dropped; stopped time counts until now, or until the hard end if that came first', async () => {
  const t = setup();
  const a = t.add('a');
  const b = t.add('b');
  const now = t.clock.now();
  t.store.state.pause = { since: now - 20_000, until: now - 5000, capAt: now - 5000 };
  running(a.run).pausedAt = now - 20_000;
  running(a.run).watchdog = t.watchdogs.start();
  running(b.run).pausedAt = now - 3000;
  t.pause.dropAfterRestart();
  assert.equal(pauseOf(t.store), null);
  assert.equal(a.run.pausedMs, 15_000, 'until the watchdog continued it at the hard end');
  assert.equal(b.run.pausedMs, 0, 'stopped after the hard end: clamped');
  assert.equal(t.watchdogs.live.size, 0);
});
