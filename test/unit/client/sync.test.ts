import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { batchesToSync, expandHome, syncResults } from '../../../client/sync.ts';
import { HeadClient } from '../../../shared/api/head-client.ts';
import type { SyncResults } from '../../../electron/main/actions.ts';

test('sync: only ended batches of the caller, oldest first', () => {
  const b = (name: string, owner: string, phase: string, endedAt: number | null) => ({ name, owner, phase, endedAt }) as never;
  const picked = batchesToSync([b('x', 'me', 'ended', 5), b('y', 'other', 'ended', 1), b('z', 'me', 'active', null), b('w', 'me', 'ended', 2)], 'me');
  assert.deepEqual(picked.map((p: { name: string }) => p.name), ['w', 'x']);
  assert.equal(expandHome('~/r'), path.join(os.homedir(), 'r'));
  assert.equal(expandHome('~'), os.homedir());
  assert.equal(expandHome('/abs'), '/abs');
});

test('syncResults fits the tray\'s injected callback and reports an unreachable head as a value', async () => {
  // compile-time: main.ts wires it by this type
  const asTray: SyncResults = (s) => syncResults({ client: new HeadClient({ base: s.headUrl, token: s.token }), out: s.resultsDir });
  const r = await asTray({ headUrl: 'http://127.0.0.1:1', token: 't', resultsDir: '~/x' } as Parameters<SyncResults>[0]);
  assert.equal(r.ok, false);
  assert.match(r.message, /cannot reach the head/);
});
