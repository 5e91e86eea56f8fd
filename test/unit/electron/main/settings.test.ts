import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  agentSettings, draftSettings, parseSettings, readSettingsFile, serializeSettings, writeSettingsFile, type SettingsResult,
} from '../../../../electron/main/settings.ts';

const env = { home: '/home/brooks', userData: '/home/brooks/.config/distribute' };
const minimal = { headUrl: 'http://head.lab:8080', token: 'abc123' };

function errors(result: SettingsResult): string[] {
  return result.ok ? [] : result.errors.map((e) => `${e.path}: ${e.message}`);
}

test('minimal file gets every default', () => {
  const result = parseSettings(JSON.stringify(minimal), env);
  assert.deepEqual(result, {
    ok: true,
    settings: {
      headUrl: 'http://head.lab:8080', token: 'abc123', workdir: '/home/brooks/.config/distribute/work', tags: [],
      notifications: true, autoPause: { enabled: false, activeWithinMinutes: 2, resumeAfterIdleMinutes: 10 },
      resultsDir: '/home/brooks/distribute-results', startAtLogin: false, trayTheme: 'auto',
    },
  });
});

test('full file round-trips through serialize', () => {
  const full = {
    ...minimal, workdir: '~/work', name: 'ws-1', tags: ['python3', 'gfortran', 'python3'], user: 'brooks', notifications: false,
    autoPause: { enabled: true, activeWithinMinutes: 1, resumeAfterIdleMinutes: 15 }, resultsDir: '/data/results', startAtLogin: true, trayTheme: 'dark',
  };
  const first = parseSettings(JSON.stringify(full), env);
  assert.ok(first.ok, errors(first).join('\n'));
  assert.equal(first.settings.workdir, '/home/brooks/work');
  assert.deepEqual(first.settings.tags, ['python3', 'gfortran'], 'duplicate tags dropped');
  const text = serializeSettings(first.settings);
  assert.ok(text.endsWith('}\n'));
  assert.deepEqual(parseSettings(text, env), first);
  assert.deepEqual(agentSettings(first.settings), { headUrl: 'http://head.lab:8080', token: 'abc123', workdir: '/home/brooks/work', tags: ['python3', 'gfortran'], name: 'ws-1', owner: 'brooks' });
});

test('bad files report every problem with its path', () => {
  const table: { name: string; text: string; want: string[] }[] = [
    { name: 'not JSON', text: '{headUrl:', want: ['(root)'] },
    { name: 'empty object', text: '{}', want: ['headUrl', 'token'] },
    { name: 'ftp url', text: JSON.stringify({ ...minimal, headUrl: 'ftp://x' }), want: ['headUrl'] },
    { name: 'relative workdir', text: JSON.stringify({ ...minimal, workdir: 'work' }), want: ['workdir'] },
    { name: 'unknown key', text: JSON.stringify({ ...minimal, colour: 'blue' }), want: ['(root)'] },
    { name: 'tag with space', text: JSON.stringify({ ...minimal, tags: ['a b'] }), want: ['tags.0'] },
    {
      name: 'autoPause M < N and zero minutes',
      text: JSON.stringify({ ...minimal, autoPause: { enabled: true, activeWithinMinutes: 0, resumeAfterIdleMinutes: 5 } }),
      want: ['autoPause.activeWithinMinutes'],
    },
    {
      name: 'autoPause flapping',
      text: JSON.stringify({ ...minimal, autoPause: { enabled: true, activeWithinMinutes: 10, resumeAfterIdleMinutes: 5 } }),
      want: ['autoPause.resumeAfterIdleMinutes'],
    },
    { name: 'wrong types everywhere', text: JSON.stringify({ headUrl: 3, token: '', startAtLogin: 'yes', trayTheme: 'pink' }), want: ['headUrl', 'token', 'startAtLogin', 'trayTheme'] },
  ];
  for (const c of table) {
    const result = parseSettings(c.text, env);
    assert.equal(result.ok, false, c.name);
    if (result.ok) continue;
    assert.deepEqual(result.errors.map((e) => e.path || '(root)').sort(), [...c.want].sort(), `${c.name}: ${errors(result).join('; ')}`);
    for (const e of result.errors) assert.ok(e.message.length > 0);
  }
});

test('unknown key error names the key', () => {
  const result = parseSettings(JSON.stringify({ ...minimal, colour: 'blue' }), env);
  assert.match(errors(result).join(), /colour/);
});

test('draft settings are what a first run shows', () => {
  const draft = draftSettings(env);
  assert.equal(draft.headUrl, '');
  assert.equal(draft.resultsDir, '/home/brooks/distribute-results');
  // The draft plus head URL and token is a valid file.
  assert.equal(parseSettings(JSON.stringify({ ...draft, ...minimal }), env).ok, true);
});

test('settings file: missing, written private, read back', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tray-settings-'));
  try {
    const file = path.join(dir, 'settings.json');
    const missing = await readSettingsFile(file, env);
    assert.equal(missing.ok, false);
    assert.equal('missing' in missing && missing.missing, true);

    const parsed = parseSettings(JSON.stringify(minimal), env);
    assert.ok(parsed.ok);
    await writeSettingsFile(file, parsed.settings);
    assert.equal((await stat(file)).mode & 0o777, 0o600, 'token file is private');
    assert.deepEqual(await readSettingsFile(file, env), parsed);

    await writeFile(file, '{"headUrl": 1}');
    const broken = await readSettingsFile(file, env);
    assert.equal(broken.ok, false);
    assert.ok(!('missing' in broken));
    assert.match(await readFile(file, 'utf8'), /headUrl/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the user token is separate from the agent join token and round-trips', () => {
  const r = parseSettings(JSON.stringify({ headUrl: 'http://head:8952', token: 'agt_join', userToken: 'usr_alice', user: 'alice' }), env);
  assert.ok(r.ok);
  assert.equal(r.settings.token, 'agt_join');
  assert.equal(r.settings.userToken, 'usr_alice');
  assert.equal(agentSettings(r.settings).token, 'agt_join', 'the agent joins with the join token');
  const again = parseSettings(serializeSettings(r.settings), env);
  assert.ok(again.ok);
  assert.equal(again.settings.userToken, 'usr_alice');
  const empty = parseSettings(JSON.stringify({ headUrl: 'http://head:8952', token: 'agt_join', userToken: '' }), env);
  assert.equal(empty.ok, false);
});

test('what the node offers to jobs: cores, memory and GPUs, passed to the agent like --cpus/--memory-gb/--gpus', () => {
  const r = parseSettings(JSON.stringify({ headUrl: 'http://h:1', token: 't', cpus: 6, memoryGb: 24.5, gpus: '1,0' }), env);
  assert.ok(r.ok, JSON.stringify(r));
  const agent = agentSettings(r.settings);
  assert.deepEqual([agent.cpus, agent.memoryGb, agent.gpus], [6, 24.5, [0, 1]]);
  const none = parseSettings(JSON.stringify({ headUrl: 'http://h:1', token: 't', gpus: 'none' }), env);
  assert.ok(none.ok);
  assert.deepEqual(agentSettings(none.settings).gpus, []);
  const bad = parseSettings(JSON.stringify({ headUrl: 'http://h:1', token: 't', cpus: 0, memoryGb: -1, gpus: 'first' }), env);
  assert.equal(bad.ok, false);
  assert.deepEqual(bad.ok ? [] : bad.errors.map((e) => e.path).sort(), ['cpus', 'gpus', 'memoryGb']);
  // Round trip through the file keeps them.
  const again = parseSettings(serializeSettings(r.settings), env);
  assert.ok(again.ok);
  assert.deepEqual([again.settings.cpus, again.settings.memoryGb, again.settings.gpus], [6, 24.5, '1,0']);
});
