import { test } from 'node:test';
import assert from 'node:assert/strict';
import { migrateState, type PersistedRun, type PersistedState } from '../../../../electron/agent/agent-store.ts';
import { legacyRunId } from '../../../../shared/job/run-id.ts';

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
  assert.equal(state.runs[0].watchdog, 4242);
  // Already current: nothing changes.
  assert.deepEqual(migrateState(state), { changed: false, legacy: [] });
  const idle = { built: [], run: null, recent: [], pause: null, runs: [] } as unknown as PersistedState;
  assert.deepEqual(migrateState(idle).legacy, []);
  assert.deepEqual(idle.runs, []);
});
