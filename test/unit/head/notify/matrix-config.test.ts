import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, rm, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMatrixConfig, parseMatrixConfig } from '../../../../head/notify/matrix-config.ts';

function errorOf(text: string): string {
  const r = parseMatrixConfig(text, 'matrix.yaml');
  assert.equal(r.ok, false, 'expected the config to be refused');
  return (r as { error: string }).error;
}

test('YAML with an access token loads; trailing slashes are dropped from the homeserver', () => {
  const r = parseMatrixConfig('homeserver: https://matrix.example.org/\nuser_id: "@bot:example.org"\naccess_token: syt_abc\n', 'm.yaml');
  assert.deepEqual(r, { ok: true, config: { homeserver: 'https://matrix.example.org', userId: '@bot:example.org', accessToken: 'syt_abc', password: undefined, deviceId: undefined } });
});

test('JSON with a password and a device id loads', () => {
  const r = parseMatrixConfig(JSON.stringify({ homeserver: 'http://127.0.0.1:8008', user_id: '@bot:localhost:8008', password: 'pw', device_id: 'HEAD' }), 'm.json');
  assert.ok(r.ok);
  assert.equal(r.config.password, 'pw');
  assert.equal(r.config.deviceId, 'HEAD');
  assert.equal(r.config.userId, '@bot:localhost:8008');
});

test('missing secrets, bad URL and bad user id are all reported at once, each naming its key', () => {
  const e = errorOf('homeserver: matrix.example.org\nuser_id: bot\n');
  assert.match(e, /^matrix\.yaml: invalid Matrix config:/);
  assert.match(e, /homeserver: must be an http:\/\/ or https:\/\/ URL/);
  assert.match(e, /user_id: must be a full Matrix user id/);
  assert.match(e, /needs either access_token or password/);
});

test('missing keys are named', () => {
  const e = errorOf('password: x\n');
  assert.match(e, /homeserver: is required/);
  assert.match(e, /user_id: is required/);
  assert.doesNotMatch(e, /needs either/);
});

test('unknown keys are refused (a typo must not silently drop the password)', () => {
  const e = errorOf('homeserver: https://m.org\nuser_id: "@b:m.org"\npasword: x\n');
  assert.match(e, /unknown key 'pasword'/);
  assert.match(e, /needs either access_token or password/);
});

test('a number where a string belongs is named', () => {
  const e = errorOf('homeserver: https://m.org\nuser_id: "@b:m.org"\npassword: 12345\n');
  assert.match(e, /password: must be a string \(quote it in YAML\)/);
});

test('syntax errors and non-mappings are explained', () => {
  assert.match(errorOf('homeserver: [unclosed\n'), /^matrix\.yaml: not valid YAML or JSON:/);
  assert.match(errorOf('{"homeserver": "https://m.org",}x'), /not valid YAML or JSON/);
  assert.match(errorOf('- a\n- b\n'), /expected a mapping/);
  assert.match(errorOf(''), /expected a mapping/);
});

test('loadMatrixConfig reads files and reports unreadable ones without throwing', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'matrix-config-'));
  try {
    const good = join(dir, 'matrix.yaml');
    await writeFile(good, 'homeserver: https://m.org\nuser_id: "@b:m.org"\naccess_token: t\n');
    const r = await loadMatrixConfig(good);
    assert.ok(r.ok);
    assert.equal(r.config.accessToken, 't');

    const missing = await loadMatrixConfig(join(dir, 'nope.yaml'));
    assert.deepEqual(missing, { ok: false, error: `cannot read Matrix config ${join(dir, 'nope.yaml')}: no such file` });

    await mkdir(join(dir, 'folder'));
    const folder = await loadMatrixConfig(join(dir, 'folder'));
    assert.equal(folder.ok, false);
    assert.match((folder as { error: string }).error, /is a folder/);

    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{"homeserver": "ftp://m.org", "user_id": "@b:m.org", "access_token": ""}');
    const badResult = await loadMatrixConfig(bad);
    assert.equal(badResult.ok, false);
    const error = (badResult as { error: string }).error;
    assert.ok(error.startsWith(`${bad}: invalid Matrix config`), error);
    assert.match(error, /homeserver: must be an http/);
    assert.match(error, /access_token: must not be empty/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
