import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createActionHandler, type ActionDeps, type SyncResults } from '../../../../electron/main/actions.ts';
import type { AgentPort, AgentSnapshot } from '../../../../electron/agent/agent-port.ts';
import type { ActionId } from '../../../../electron/main/menu-model.ts';
import type { TraySettings } from '../../../../electron/main/settings.ts';

// The agent core is another module's job; this fake records what the shell asks of it.
function fakePort(fail = false) {
  const calls: string[] = [];
  const port: AgentPort = {
    snapshot: () => ({}) as AgentSnapshot,
    onChange: () => () => undefined,
    pause: async (ms) => {
      calls.push(`pause ${ms}`);
      if (fail) throw new Error('control endpoint refused');
    },
    resume: async () => {
      calls.push('resume');
    },
    statusPageUrl: () => 'http://127.0.0.1:1/?token=t',
    stop: async () => {
      calls.push('stop');
    },
  };
  return { port, calls };
}

const SETTINGS = { headUrl: 'http://h', token: 't', resultsDir: '/r' } as TraySettings;

function harness(over: { port?: AgentPort | null; settings?: TraySettings | null; sync?: SyncResults } = {}) {
  const log: string[] = [];
  const deps: ActionDeps = {
    port: () => (over.port === undefined ? null : over.port),
    settings: () => (over.settings === undefined ? SETTINGS : over.settings),
    syncResults: over.sync ?? (async (s) => ({ ok: true, message: `synced into ${s.resultsDir}` })),
    openStatus: () => log.push('open-status'),
    openSettings: () => log.push('open-settings'),
    quit: () => {
      log.push('quit');
    },
    report: (title, message) => log.push(`report ${title}: ${message}`),
    syncing: (busy) => log.push(`syncing ${busy}`),
  };
  return { handle: createActionHandler(deps), log };
}

test('each action id does its one thing', async () => {
  const table: { id: ActionId; port: string[]; log: string[] }[] = [
    { id: 'pause-30m', port: ['pause 1800000'], log: [] },
    { id: 'pause-1h', port: ['pause 3600000'], log: [] },
    { id: 'pause-until-resumed', port: ['pause null'], log: [] },
    { id: 'resume', port: ['resume'], log: [] },
    { id: 'open-status', port: [], log: ['open-status'] },
    { id: 'settings', port: [], log: ['open-settings'] },
    { id: 'quit', port: [], log: ['quit'] },
    { id: 'sync-results', port: [], log: ['syncing true', 'report Results synced: synced into /r', 'syncing false'] },
  ];
  for (const c of table) {
    const { port, calls } = fakePort();
    const { handle, log } = harness({ port });
    await handle(c.id);
    assert.deepEqual(calls, c.port, c.id);
    assert.deepEqual(log, c.log, c.id);
  }
});

test('without an agent, pause and status lead to the settings window', async () => {
  const { handle, log } = harness({ port: null });
  await handle('pause-1h');
  await handle('open-status');
  assert.deepEqual(log, [
    'report Cannot pause: The agent is not running: open Settings… and enter the head URL and token.',
    'open-settings',
    'open-settings',
  ]);
});

test('a failing port call is reported, not thrown', async () => {
  const { port } = fakePort(true);
  const { handle, log } = harness({ port });
  await handle('pause-30m');
  assert.deepEqual(log, ['report Could not pause: control endpoint refused']);
});

test('sync failures are reported and a second click during a sync is ignored', async () => {
  let release!: () => void;
  let runs = 0;
  const sync: SyncResults = async () => {
    runs++;
    await new Promise<void>((r) => (release = r));
    throw new Error('head unreachable');
  };
  const { handle, log } = harness({ sync });
  const first = handle('sync-results');
  await handle('sync-results');
  release();
  await first;
  assert.equal(runs, 1);
  assert.deepEqual(log, ['syncing true', 'report Sync failed: head unreachable', 'syncing false']);
});

test('sync without settings opens the settings window', async () => {
  const { handle, log } = harness({ settings: null });
  await handle('sync-results');
  assert.deepEqual(log, ['report Cannot sync results: Open Settings… and enter the head URL and token first.', 'open-settings']);
});
