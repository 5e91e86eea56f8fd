import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentSnapshot } from '../../../../electron/agent/agent-state.ts';
import { buildMenuModel, jobElapsedMs, tooltip, trayState, type MenuItemModel } from '../../../../electron/main/menu-model.ts';

const NOW = Date.UTC(2025, 0, 15, 14, 0, 0);
const MIN = 60_000;

function snapshot(over: Partial<AgentSnapshot> = {}): AgentSnapshot {
  return {
    name: 'ws-brooks',
    headUrl: 'http://head:8080',
    connection: 'connected',
    capabilities: { tags: ['python3'], physicalCores: 8, logicalCores: 16, memoryBytes: 32e9, gpus: [] },
    current: null,
    pause: null,
    recent: [],
    free: { cpus: 0, memoryBytes: 0, gpus: 0 },
    ...over,
    jobs: over.jobs ?? (over.current ? [over.current] : []),
  };
}

const job = (over: Partial<NonNullable<AgentSnapshot['current']>> = {}): NonNullable<AgentSnapshot['current']> => ({
  batchId: 'b1', batch: 'sweep_re_1000', namespace: 'brooks', job: 'job_3', owner: 'brooks',
  attempt: 1, startedAt: NOW - 12 * MIN, pausedMs: 0, phase: 'running', ...over,
});

/** The menu as compact lines: `label [action] (disabled)`, `---` for separators. */
function render(items: MenuItemModel[]): string[] {
  return items.map((i) => (i.type === 'separator' ? '---' : `${i.label}${i.action ? ` [${i.action}]` : ''}${i.enabled ? '' : ' (disabled)'}`));
}

const TAIL = ['---', 'Open status [open-status]', 'Sync my results [sync-results]', 'Settings… [settings]', '---', 'Quit [quit]'];
const PAUSE_ENABLED = ['Pause 30 min [pause-30m]', 'Pause 1 h [pause-1h]', 'Pause until resumed [pause-until-resumed]'];
const PAUSE_DISABLED = PAUSE_ENABLED.map((l) => `${l} (disabled)`);

const cases: { name: string; snap: AgentSnapshot; state: string; menu: string[] }[] = [
  {
    name: 'idle',
    snap: snapshot(),
    state: 'idle',
    menu: ['ws-brooks: connected (disabled)', 'No job running (disabled)', '---', ...PAUSE_ENABLED, ...TAIL],
  },
  {
    name: 'running',
    snap: snapshot({ current: job() }),
    state: 'running',
    menu: [
      'ws-brooks: connected (disabled)', 'Job: sweep_re_1000 / job_3 (disabled)', 'Owner brooks, running 12m (disabled)',
      '---', ...PAUSE_ENABLED, ...TAIL,
    ],
  },
  {
    name: 'building shows the phase',
    snap: snapshot({ current: job({ phase: 'building', startedAt: NOW - 30_000 }) }),
    state: 'running',
    menu: [
      'ws-brooks: connected (disabled)', 'Job: sweep_re_1000 / job_3 (building) (disabled)', 'Owner brooks, running 30s (disabled)',
      '---', ...PAUSE_ENABLED, ...TAIL,
    ],
  },
  {
    name: 'paused with until',
    snap: snapshot({ current: job({ startedAt: NOW - 90 * MIN, pausedMs: 10 * MIN }), pause: { since: NOW - 5 * MIN, until: NOW + 25 * MIN } }),
    state: 'paused',
    menu: [
      'ws-brooks: connected (disabled)', 'Job: sweep_re_1000 / job_3 (disabled)', 'Owner brooks, running 1h 15m (disabled)',
      'Paused until 14:25 (disabled)', '---', ...PAUSE_DISABLED, 'Resume [resume]', ...TAIL,
    ],
  },
  {
    name: 'paused until resumed, no job',
    snap: snapshot({ pause: { since: NOW - MIN, until: null } }),
    state: 'paused',
    menu: [
      'ws-brooks: connected (disabled)', 'No job running (disabled)', 'Paused until resumed (disabled)',
      '---', ...PAUSE_DISABLED, 'Resume [resume]', ...TAIL,
    ],
  },
  {
    name: 'offline while a job keeps running',
    snap: snapshot({ connection: 'offline', current: job() }),
    state: 'offline',
    menu: [
      'ws-brooks: offline (disabled)', 'Job: sweep_re_1000 / job_3 (disabled)', 'Owner brooks, running 12m (disabled)',
      '---', ...PAUSE_ENABLED, ...TAIL,
    ],
  },
  {
    name: 'connecting counts as offline',
    snap: snapshot({ connection: 'connecting' }),
    state: 'offline',
    menu: ['ws-brooks: connecting… (disabled)', 'No job running (disabled)', '---', ...PAUSE_ENABLED, ...TAIL],
  },
  {
    name: 'paused and offline shows paused',
    snap: snapshot({ connection: 'offline', pause: { since: NOW, until: null } }),
    state: 'paused',
    menu: [
      'ws-brooks: offline (disabled)', 'No job running (disabled)', 'Paused until resumed (disabled)',
      '---', ...PAUSE_DISABLED, 'Resume [resume]', ...TAIL,
    ],
  },
];

for (const c of cases) {
  test(`menu model: ${c.name}`, () => {
    assert.deepEqual(render(buildMenuModel(c.snap, NOW, { timeZone: 'UTC' })), c.menu);
  });
  test(`trayState: ${c.name}`, () => {
    assert.equal(trayState(c.snap), c.state);
  });
}

test('while syncing, the sync item says so and is disabled', () => {
  const lines = render(buildMenuModel(snapshot(), NOW, { syncing: true, timeZone: 'UTC' }));
  assert.ok(lines.includes('Syncing results… [sync-results] (disabled)'));
  assert.ok(!lines.includes('Sync my results [sync-results]'));
});

test('every action id appears at most once', () => {
  const snap = snapshot({ pause: { since: NOW, until: null } });
  const ids = buildMenuModel(snap, NOW).flatMap((i) => (i.type === 'normal' && i.action ? [i.action] : []));
  assert.equal(new Set(ids).size, ids.length);
  assert.deepEqual(ids.sort(), ['open-status', 'pause-1h', 'pause-30m', 'pause-until-resumed', 'quit', 'resume', 'settings', 'sync-results']);
});

test('elapsed excludes finished pauses and the pause going on', () => {
  const snap = snapshot({ current: job({ startedAt: NOW - 60 * MIN, pausedMs: 5 * MIN }), pause: { since: NOW - 10 * MIN, until: null } });
  assert.equal(jobElapsedMs(snap, NOW), 45 * MIN);
  // A pause that began before the job started counts only from the job's start.
  const early = snapshot({ current: job({ startedAt: NOW - 10 * MIN }), pause: { since: NOW - 60 * MIN, until: null } });
  assert.equal(jobElapsedMs(early, NOW), 0);
  assert.equal(jobElapsedMs(snapshot(), NOW), 0);
});

test('tooltip names node, connection, job and pause', () => {
  assert.equal(tooltip(snapshot(), NOW), 'distribute: ws-brooks (connected)\nNo job');
  assert.equal(
    tooltip(snapshot({ current: job(), pause: { since: NOW, until: NOW + 60 * MIN } }), NOW, { timeZone: 'UTC' }),
    'distribute: ws-brooks (connected)\nJob sweep_re_1000 / job_3, 12m\nPaused until 15:00',
  );
});

