import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AgentStore, migrateState, readSavedState, type PersistedRun, type PersistedState } from '../../../../electron/agent/agent-store.ts';
import { moveRun, type RunState } from '../../../../electron/agent/run-state.ts';
import { legacyRunId } from '../../../../shared/job/run-id.ts';
import { FakeClock } from '../../../helpers/fake-clock.ts';

const run = (over: Partial<PersistedRun> = {}) => ({
  batch: { id: 'b1', name: 'sweep', namespace: 'ns', owner: 'ana' }, spec: { name: 'j1', files: [] },
  attempt: 2, phase: 'running', startedAt: 1, pausedMs: 0, ...over,
}) as unknown as PersistedRun;

test('migrateState: the single run of an older agent becomes runs[0], with its 0.1 run id and its pause watchdog', () => {
  const state = { built: [], run: run(), recent: [], pause: { since: 1, until: null, capAt: 9, watchdog: 4242 }, runs: [] } as unknown as PersistedState & { run?: PersistedRun | null };
  const r = migrateState(state);
  assert.equal(r.changed, true);
  assert.deepEqual(r.legacy, [legacyRunId('b1', 'j1', 2)]);
  assert.equal('run' in state, false);
  assert.equal(state.runs.length, 1);
  assert.equal(state.runs[0].runId, legacyRunId('b1', 'j1', 2));
  assert.equal(state.runs[0].dirKey, '2');
  assert.equal(state.runs[0].whole, true, 'a run without a request had the whole node');
  assert.deepEqual(state.runs[0].state, { phase: 'downloading' }, 'saved running without a pid: never started as far as the record knows');
  // Already current: nothing changes.
  assert.deepEqual(migrateState(state), { changed: false, legacy: [] });
  const idle = { built: [], run: null, recent: [], pause: null, runs: [] } as unknown as PersistedState;
  assert.deepEqual(migrateState(idle).legacy, []);
  assert.deepEqual(idle.runs, []);
});

test('migrateState: the single run of an older agent keeps its pause watchdog in its running state', () => {
  const state = { built: [], run: run({ pid: 77, pgid: 77 } as Partial<PersistedRun>), recent: [], pause: { since: 1, until: null, capAt: 9, watchdog: 4242 }, runs: [] } as unknown as PersistedState;
  migrateState(state);
  assert.deepEqual(state.runs[0].state, { phase: 'running', pid: 77, pgid: 77, pausedAt: null, watchdog: 4242 });
});

test('migrateState: runs saved with flat optional fields become the tagged state, and only the valid data is kept', () => {
  const result = { outcome: 'failed', exitCode: 3 };
  const flat = [
    { phase: 'downloading' },
    { phase: 'building', pid: 5 },
    { phase: 'running', pid: 10, pgid: 10, pausedAt: 123, watchdog: 99 },
    { phase: 'running' },
    { phase: 'uploading', pid: 10, pgid: 10, exited: { result, endedAt: 5, runMs: 4, bytes: 12 } },
    { phase: 'uploading' },
    { phase: 'finished', pid: 10, finished: { result, endedAt: 5, runMs: 4, files: [] } },
    { phase: 'finished' },
  ];
  const state = { built: [], recent: [], pause: null, runs: flat.map((f, i) => ({ ...run(), runId: `r${i}`, ...f })) } as unknown as PersistedState;
  assert.equal(migrateState(state).changed, true);
  const expected: RunState[] = [
    { phase: 'downloading' },
    { phase: 'building' },
    { phase: 'running', pid: 10, pgid: 10, pausedAt: 123, watchdog: 99 },
    { phase: 'downloading' },
    { phase: 'uploading', exited: { result: result as never, endedAt: 5, runMs: 4, bytes: 12 } },
    { phase: 'downloading' },
    { phase: 'finished', finished: { result: result as never, endedAt: 5, runMs: 4, files: [] } },
    { phase: 'downloading' },
  ];
  assert.deepEqual(state.runs.map((r) => r.state), expected);
  for (const r of state.runs) {
    for (const key of ['phase', 'pid', 'pgid', 'pausedAt', 'watchdog', 'exited', 'finished']) assert.equal(key in r, false, `${r.runId} still has ${key}`);
  }
  assert.deepEqual(migrateState(state), { changed: false, legacy: [] }, 'migrated once');
});

test('the agent-state.json files of real 0.1 workdirs load, migrate and save in the current form', async () => {
  const fixtures = path.resolve(import.meta.dirname, '../../../fixtures');
  for (const name of ['v0.1-inflight', 'v0.1-lab']) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-store-'));
    const file = path.join(dir, 'agent-state.json');
    const original = fs.readFileSync(path.join(fixtures, name, 'agent/agent-state.json'), 'utf8');
    fs.writeFileSync(file, original);
    const logs: string[] = [];
    const store = new AgentStore(file, (l) => logs.push(l));
    await store.load();
    await store.flushed();
    const old = JSON.parse(original) as { run: (Record<string, unknown> & { pid?: number; pgid?: number; attempt: number; batch: { id: string }; spec: { name: string } }) | null; built: string[] };
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as PersistedState & { run?: unknown };
    assert.equal('run' in saved, false, `${name}: the single run moved into runs`);
    assert.deepEqual(saved.built, old.built);
    if (!old.run) {
      assert.deepEqual(saved.runs, [], `${name}: an idle 0.1 agent holds nothing`);
      continue;
    }
    assert.equal(saved.runs.length, 1);
    const r = saved.runs[0];
    assert.equal(r.runId, legacyRunId(old.run.batch.id, old.run.spec.name, old.run.attempt));
    assert.equal(r.dirKey, String(old.run.attempt), 'the job keeps writing to its 0.1 folder');
    assert.deepEqual(r.state, { phase: 'running', pid: old.run.pid, pgid: old.run.pgid, pausedAt: null }, `${name}: the running job is adopted by its pid`);
    assert.match(logs.join('\n'), /migrated the run .* from version 0.1/);
  }
});

test('moveRun: the lifecycle moves forward only', () => {
  const r = { runId: 'r', state: { phase: 'downloading' } as RunState };
  moveRun(r, { phase: 'building' });
  moveRun(r, { phase: 'running', pid: 1, pgid: 1, pausedAt: null });
  assert.throws(() => moveRun(r, { phase: 'building' }), /cannot move from running to building/);
  moveRun(r, { phase: 'uploading', exited: { result: { outcome: 'succeeded', exitCode: 0 }, endedAt: 2, runMs: 1 } });
  assert.throws(() => moveRun(r, { phase: 'running', pid: 1, pgid: 1, pausedAt: null }), /cannot move/);
  moveRun(r, { phase: 'finished', finished: { result: { outcome: 'succeeded', exitCode: 0 }, endedAt: 2, runMs: 1, files: [] } });
  assert.throws(() => moveRun(r, { phase: 'finished', finished: { result: { outcome: 'succeeded', exitCode: 0 }, endedAt: 2, runMs: 1, files: [] } }), /cannot move from finished/);
  const cancelled = { runId: 'c', state: { phase: 'downloading' } as RunState };
  moveRun(cancelled, { phase: 'finished', finished: { result: { outcome: 'killed', signal: 'SIGTERM' }, endedAt: 2, runMs: 0, files: [] } });
});

test('saveSoon writes within its delay, or with the next save if that comes first; flushed() writes a pending one', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-store-'));
  const file = path.join(dir, 'agent-state.json');
  const clock = new FakeClock(0);
  const store = new AgentStore(file, () => undefined, clock);
  const onDisk = () => readSavedState(file)!.built;
  const saves = () => fs.readFileSync(`${file}l`, 'utf8').split('\n').length - 1;
  await store.save();
  store.state.built.push('b1');
  store.saveSoon();
  store.saveSoon(); // one write for both
  assert.deepEqual(onDisk(), [], 'not written at once');
  await clock.advance(249);
  assert.deepEqual(onDisk(), []);
  await clock.advance(1);
  assert.deepEqual(onDisk(), ['b1'], 'written after the delay');

  store.state.built.push('b2');
  store.saveSoon();
  store.state.built.push('b3');
  await store.save();
  assert.deepEqual(onDisk(), ['b1', 'b2', 'b3'], 'the next save writes it along');
  const before = saves();
  await clock.advance(1000);
  assert.equal(saves(), before, 'no second write: that save took what was pending');

  // A save does not cancel the timer (one timer per delay, not one per job): a saveSoon after it
  // is written when that timer fires, within its delay.
  store.saveSoon();
  await store.save();
  await clock.advance(100);
  store.state.built.push('b3b');
  store.saveSoon();
  await clock.advance(149);
  assert.deepEqual(onDisk(), ['b1', 'b2', 'b3']);
  await clock.advance(1);
  assert.deepEqual(onDisk(), ['b1', 'b2', 'b3', 'b3b'], 'written when the earlier timer fired');
  store.state.built.pop();
  await store.save();

  store.state.built.push('b4');
  store.saveSoon();
  await store.flushed();
  assert.deepEqual(onDisk(), ['b1', 'b2', 'b3', 'b4'], 'flushed() writes what is pending');
  fs.rmSync(dir, { recursive: true });
});
