/**
 * The agent's control endpoint: the pure guards as tables, the token file, and a real server in
 * front of a real (offline) Agent answering real HTTP requests.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../../../../electron/agent/agent.ts';
import { createAgent } from '../../../../electron/agent/create-agent.ts';
import {
  controlPortPath, controlTokenPath, ensureControlToken, hasToken, isLoopbackAddress, isLoopbackHost, pauseDuration, startControlServer,
  type ControlServer,
} from '../../../../electron/agent/control-server.ts';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'distribute-control-'));

test('isLoopbackAddress accepts only loopback peers', () => {
  const table: [string | undefined, boolean][] = [
    ['127.0.0.1', true], ['127.1.2.3', true], ['::1', true], ['::ffff:127.0.0.1', true],
    ['192.0.2.2', false], ['::ffff:192.0.2.2', false], ['10.0.0.1', false], ['fd00::2', false], ['0.0.0.0', false],
    ['128.0.0.1', false], ['127.0.0.1.evil', false], ['', false], [undefined, false],
  ];
  for (const [address, expected] of table) assert.equal(isLoopbackAddress(address), expected, String(address));
});

test('isLoopbackHost accepts loopback names only (no DNS rebinding)', () => {
  const table: [string | undefined, boolean][] = [
    ['127.0.0.1:8953', true], ['localhost:8953', true], ['localhost', true], ['[::1]:8953', true],
    ['evil.example:8953', false], ['127.0.0.1.nip.io:8953', false], ['192.0.2.2:8953', false], [undefined, false],
  ];
  for (const [host, expected] of table) assert.equal(isLoopbackHost(host), expected, String(host));
});

test('hasToken compares the bearer token exactly', () => {
  const token = 'a'.repeat(64);
  assert.equal(hasToken(`Bearer ${token}`, token), true);
  assert.equal(hasToken(`bearer ${token}`, token), true);
  assert.equal(hasToken(`Bearer ${'a'.repeat(63)}`, token), false);
  assert.equal(hasToken(`Bearer ${'a'.repeat(63)}b`, token), false);
  assert.equal(hasToken(token, token), false);
  assert.equal(hasToken(undefined, token), false);
});

test('pauseDuration reads durations, until-resumed, and defaults to 1 h', () => {
  assert.deepEqual(pauseDuration({ duration: '30m' }), { ok: true, ms: 1_800_000 });
  assert.deepEqual(pauseDuration({ duration: 'until-resumed' }), { ok: true, ms: null });
  assert.deepEqual(pauseDuration({}), { ok: true, ms: 3_600_000 });
  assert.equal(pauseDuration({ duration: '1.5h' }).ok, false);
  assert.equal(pauseDuration({ duration: 60 }).ok, false);
});

test('the token file is created 0600, reused, and narrowed when it was readable by others', async () => {
  const dir = tmp();
  const token = await ensureControlToken(dir);
  assert.match(token, /^[0-9a-f]{64}$/);
  assert.equal(fs.statSync(controlTokenPath(dir)).mode & 0o777, 0o600);
  fs.chmodSync(controlTokenPath(dir), 0o644);
  assert.equal(await ensureControlToken(dir), token);
  assert.equal(fs.statSync(controlTokenPath(dir)).mode & 0o777, 0o600);
  fs.writeFileSync(controlTokenPath(dir), 'short\n');
  const fresh = await ensureControlToken(dir);
  assert.notEqual(fresh, 'short');
  assert.match(fresh, /^[0-9a-f]{64}$/);
});

function request(port: number, p: string, init: { method?: string; headers?: Record<string, string>; body?: string; host?: string } = {}): Promise<{ status: number; body: any; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: init.host ?? '127.0.0.1', port, path: p, method: init.method ?? 'GET', headers: init.headers }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        let body: any = text;
        try { body = JSON.parse(text); } catch { /* html */ }
        resolve({ status: res.statusCode ?? 0, body, headers: res.headers });
      });
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

describe('a control server in front of a real agent', () => {
  let workdir: string;
  let agent: Agent;
  let server: ControlServer;
  let auth: Record<string, string>;

  before(async () => {
    workdir = tmp();
    // Nothing listens on port 1: the agent stays offline, which is all these tests need.
    agent = createAgent({ headUrl: 'http://127.0.0.1:1', token: 'x', workdir, name: 'unit-node', tags: ['t1'], maxPauseMs: 2 * 3600_000, log: () => undefined });
    await agent.start();
    server = await startControlServer({ target: agent, workdir, port: 0 });
    auth = { authorization: `Bearer ${server.token}` };
  });
  after(async () => {
    await server.close();
    await agent.stop();
  });

  test('writes its port and serves the status page URL with the token', () => {
    assert.equal(Number(fs.readFileSync(controlPortPath(workdir), 'utf8')), server.port);
    assert.equal(server.statusPageUrl(), `http://127.0.0.1:${server.port}/?token=${server.token}`);
    assert.equal(fs.readFileSync(controlTokenPath(workdir), 'utf8').trim(), server.token);
  });

  test('refuses API requests without the token, with a wrong one, or with it in the query', async () => {
    assert.equal((await request(server.port, '/api/state')).status, 401);
    assert.equal((await request(server.port, '/api/state', { headers: { authorization: `Bearer ${'f'.repeat(64)}` } })).status, 401);
    assert.equal((await request(server.port, `/api/state?token=${server.token}`)).status, 401);
    const pause = await request(server.port, '/api/pause', { method: 'POST', body: '{"duration":"1h"}' });
    assert.equal(pause.status, 401);
    assert.equal(agent.snapshot().pause, null, 'a refused pause changed nothing');
  });

  test('refuses a foreign Host header', async () => {
    const r = await request(server.port, '/api/state', { headers: { ...auth, host: `evil.example:${server.port}` } });
    assert.equal(r.status, 403);
  });

  test('with the token: state, pause (capped at the maximum), bad input, resume', async () => {
    const state = await request(server.port, '/api/state', { headers: auth });
    assert.equal(state.status, 200);
    assert.equal(state.body.name, 'unit-node');
    assert.ok(state.body.capabilities.tags.includes('t1'));
    assert.equal(state.body.pause, null);
    assert.equal(state.body.maxPauseMs, 2 * 3600_000);

    const p = await request(server.port, '/api/pause', { method: 'POST', headers: auth, body: '{"duration":"30m"}' });
    assert.equal(p.status, 200);
    assert.ok(Math.abs(p.body.pause.until - (p.body.now + 1_800_000)) < 1000);
    const long = await request(server.port, '/api/pause', { method: 'POST', headers: auth, body: '{"duration":"5h"}' });
    assert.ok(Math.abs(long.body.pause.until - (long.body.now + 2 * 3600_000)) < 1000, 'capped at --max-pause');
    const forever = await request(server.port, '/api/pause', { method: 'POST', headers: auth, body: '{"duration":"until-resumed"}' });
    assert.equal(forever.body.pause.until, null);
    assert.ok(Math.abs(forever.body.pause.capAt - (forever.body.now + 2 * 3600_000)) < 1000);

    const bad = await request(server.port, '/api/pause', { method: 'POST', headers: auth, body: '{"duration":"soon"}' });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /soon/);
    assert.equal((await request(server.port, '/api/pause', { method: 'POST', headers: auth, body: '{' })).status, 400);

    const r = await request(server.port, '/api/resume', { method: 'POST', headers: auth });
    assert.equal(r.status, 200);
    assert.equal(r.body.pause, null);
    assert.equal(agent.snapshot().pause, null);
  });

  test('serves the status page without data in it, with a strict CSP', async () => {
    const page = await request(server.port, '/');
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /text\/html/);
    assert.match(String(page.headers['content-security-policy']), /default-src 'none'/);
    assert.match(page.body, /Pause until resumed/);
    assert.doesNotMatch(page.body, new RegExp(server.token));
    assert.equal((await request(server.port, '/nope')).status, 404);
  });
});

test('requests from a non-loopback address are refused even when the server is reachable there', async (t) => {
  const external = Object.values(os.networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal);
  if (!external) return t.skip('no non-loopback IPv4 interface on this machine');
  const workdir = tmp();
  const agent = createAgent({ headUrl: 'http://127.0.0.1:1', token: 'x', workdir, name: 'wide', tags: [], log: () => undefined });
  // Only a test widens the bind address, to prove the per-request check on its own.
  const server = await startControlServer({ target: agent, workdir, port: 0, host: '0.0.0.0' });
  try {
    const auth = { authorization: `Bearer ${server.token}` };
    const far = await request(server.port, '/api/state', { host: external.address, headers: { ...auth, host: `127.0.0.1:${server.port}` } });
    assert.equal(far.status, 403);
    assert.match(far.body.error, /only answers this machine/);
    assert.equal((await request(server.port, '/', { host: external.address })).status, 403);
    assert.equal((await request(server.port, '/api/state', { headers: auth })).status, 200, 'loopback still works');
  } finally {
    await server.close();
  }
});

test('a taken default port falls back to a free one and records it', async () => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const taken = (blocker.address() as net.AddressInfo).port;
  const workdir = tmp();
  const agent = createAgent({ headUrl: 'http://127.0.0.1:1', token: 'x', workdir, name: 'busy-port', tags: [], log: () => undefined });
  const lines: string[] = [];
  const server = await startControlServer({ target: agent, workdir, port: taken, log: (l) => lines.push(l) });
  try {
    assert.notEqual(server.port, taken);
    assert.equal(Number(fs.readFileSync(controlPortPath(workdir), 'utf8')), server.port);
    assert.match(lines.join('\n'), new RegExp(`${taken} is taken`));
  } finally {
    await server.close();
    blocker.close();
  }
});
