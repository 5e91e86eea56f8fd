/**
 * Issue 12, the smaller findings (those of `limits`): a refused `--replace` keeps the old batch;
 * `--max-input-size abc` is a usage error; token files and data folders of an earlier version are
 * tightened on start; `up` never prints the control token; the dashboard has a sign-out, a CSP
 * without `'unsafe-inline'` scripts and `frame-ancestors 'none'`.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { routes } from '../../shared/api/routes.ts';
import { api, BIN, cli, startHeadProc, stop, tempDir, waitFor } from '../helpers/cluster.ts';

const mode = (p: string) => fs.statSync(p).mode & 0o777;

test('an earlier version\'s loose data folder and token files are tightened to 0700/0600 on start', async () => {
  const data = tempDir('loose');
  fs.chmodSync(data, 0o755);
  fs.writeFileSync(path.join(data, 'admin-token'), 'adm_an-old-token-written-0644\n', { mode: 0o644 });
  fs.chmodSync(path.join(data, 'admin-token'), 0o644);
  const head = await startHeadProc(data);
  try {
    assert.equal(mode(data), 0o700);
    assert.equal(mode(path.join(data, 'admin-token')), 0o600);
    assert.equal(mode(path.join(data, 'agent-token')), 0o600);
    assert.equal(head.adminToken, 'adm_an-old-token-written-0644', 'the token itself is kept');
  } finally {
    await stop(head);
  }
});

test('a refused --replace has not deleted the old batch', async () => {
  const head = await startHeadProc(tempDir('replace'));
  try {
    const spec = (jobs: string[]) => ({
      namespace: 'ns', name: 'keep', kind: 'shell', capabilities: [], resources: {}, maxRetries: 0, requiredMounts: [], initFiles: [],
      jobs: jobs.map((name) => ({ name, command: 'true', files: [] })),
    });
    const created = await api(head, routes.batches(), { body: { spec: spec(['a']), force: true } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await api(head, routes.batchSubmit(created.body.id), { body: {} })).status, 200);
    const refused = await api(head, routes.batches(), { body: { spec: spec(['b', 'b']), force: true, replace: true } });
    assert.equal(refused.status, 400);
    assert.match(refused.body.error, /duplicate job name 'b'/);
    const still = await api(head, routes.batch('ns/keep'));
    assert.equal(still.status, 200, 'the old batch is still there');
    assert.equal(still.body.id, created.body.id);
  } finally {
    await stop(head);
  }
});

test('--max-input-size must be a size: abc is a usage error, 20G is accepted', async () => {
  const bad = await cli(['server', '--data', tempDir('mis'), '--port', '0', '--max-input-size', 'abc']);
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /--max-input-size: 'abc' is not a size/);
  const head = await startHeadProc(tempDir('mis-ok'), { extra: ['--max-input-size', '1K'] });
  try {
    const sha = 'a'.repeat(64);
    const res = await fetch(`${head.url}${routes.input(sha)}`, {
      method: 'PUT', headers: { authorization: `Bearer ${head.adminToken}`, 'content-length': '2048' }, body: Buffer.alloc(2048),
    });
    assert.equal(res.status, 413, '1K means 1024 bytes');
  } finally {
    await stop(head);
  }
});

test('up prints the status page without the control token in its URL', async () => {
  const data = tempDir('up-data');
  const workdir = tempDir('up-work');
  const child = spawn(process.execPath, [BIN, 'up', '--data', data, '--workdir', workdir, '--port', '0', '--control-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  try {
    await waitFor(() => /Ctrl-C stops both/.test(out), 30_000, () => `up did not start:\n${out}`);
    const token = fs.readFileSync(path.join(workdir, 'control-token'), 'utf8').trim();
    assert.ok(!out.includes(token), 'the control token is not printed');
    assert.doesNotMatch(out, /token=/);
    assert.match(out, /status page; its token is in .*control-token/);
    assert.equal(mode(workdir), 0o700, 'the agent workdir is private');
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
});

test('the dashboard: CSP without unsafe-inline scripts, no framing, a sign-out button', async () => {
  const head = await startHeadProc(tempDir('csp'));
  try {
    const res = await fetch(`${head.url}/`);
    const csp = res.headers.get('content-security-policy') ?? '';
    const scriptSrc = csp.split(';').map((d) => d.trim()).find((d) => d.startsWith('script-src')) ?? '';
    assert.ok(scriptSrc, csp);
    assert.doesNotMatch(scriptSrc, /unsafe-inline|unsafe-eval|\*/);
    assert.match(scriptSrc, /'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    const html = await res.text();
    assert.match(html, /id="sign-out"/);
    // The page's script is a same-origin file (script-src 'self'); the page itself has no inline script.
    assert.doesNotMatch(html, /<script(?![^>]*\ssrc=)[^>]*>/i);
    const js = await fetch(`${head.url}/dashboard.js`);
    assert.match(js.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.match(await js.text(), /localStorage\.removeItem\('distribute-token'\)/);
  } finally {
    await stop(head);
  }
});
