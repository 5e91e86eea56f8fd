import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { describeCounts, doneCount, waitExitCode } from '../../../../head/cli/wait.ts';
import { batchesToSync, expandHome, syncResults } from '../../../../client/sync.ts';
import { HeadClient } from '../../../../shared/api/head-client.ts';
import type { SyncResults } from '../../../../electron/main/actions.ts';
import { logsQuery } from '../../../../head/cli/logs.ts';
import { wanted, type Rule } from '../../../../client/pull.ts';

const zero = { queued: 0, assigned: 0, running: 0, paused: 0, succeeded: 0, failed: 0, cancelled: 0, buildFailed: 0 };

test('wait: exit 0 only when every job succeeded', () => {
  const table: [Partial<typeof zero>, number, number][] = [
    [{ succeeded: 3 }, 3, 0],
    [{ succeeded: 2, failed: 1 }, 3, 1],
    [{ succeeded: 2, cancelled: 1 }, 3, 1],
    [{ buildFailed: 3 }, 3, 1],
    [{ succeeded: 2, buildFailed: 1 }, 3, 1],
  ];
  for (const [c, total, code] of table) assert.equal(waitExitCode({ counts: { ...zero, ...c }, total }), code, JSON.stringify(c));
  assert.equal(doneCount({ ...zero, succeeded: 1, failed: 1, cancelled: 1, buildFailed: 1, running: 5 }), 4);
  assert.equal(describeCounts({ ...zero, succeeded: 1, failed: 1, running: 1, paused: 1 }, 4), '2/4 done, 1 ok, 1 failed, 2 running (1 paused)');
});

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

test('logs: query string per option, bad stream refused', () => {
  assert.deepEqual(logsQuery({}), { ok: true, query: { stream: undefined, follow: false, tail: undefined } });
  assert.deepEqual(logsQuery({ follow: true, stream: 'stderr', tail: '20' }), { ok: true, query: { stream: 'stderr', follow: true, tail: 20 } });
  assert.equal(logsQuery({ stream: 'both' }).ok, false);
  assert.equal(logsQuery({ tail: '-3' }).ok, false);
});

test('pull rules: the first matching rule decides; with no match, include mode skips', () => {
  const inc = (p: string): Rule => ({ kind: 'include', pattern: new RegExp(p) });
  const exc = (p: string): Rule => ({ kind: 'exclude', pattern: new RegExp(p) });
  const table: [Rule[], string, boolean][] = [
    [[], 'b/j/f.txt', true],
    [[inc('\\.txt$')], 'b/j/f.txt', true],
    [[inc('\\.txt$')], 'b/j/f.bin', false],
    [[exc('\\.txt$')], 'b/j/f.txt', false],
    [[exc('\\.txt$')], 'b/j/f.bin', true],
    [[inc('f'), exc('txt')], 'b/j/f.txt', true],
    [[exc('txt'), inc('f')], 'b/j/f.txt', false],
    [[exc('txt'), inc('f')], 'b/j/g.bin', false],
  ];
  for (const [rules, key, expected] of table) assert.equal(wanted(key, rules), expected, `${rules.map((r) => `${r.kind}:${r.pattern}`)} ${key}`);
});
