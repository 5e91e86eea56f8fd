/**
 * Issue 12, TLS: `distribute server --tls-cert F --tls-key F` serves HTTPS and WSS; the agent and
 * the CLI trust a lab CA with `--ca F` or `$DISTRIBUTE_CA`. The test makes its own lab CA and a
 * head certificate for 127.0.0.1 with openssl (the README's recipe), then runs a real batch over
 * TLS: a real agent over WSS, add/status/logs/pull through the CLI. Without the CA the CLI and the
 * agent refuse the head's certificate; a plain-HTTP client gets nothing; bad TLS files are usage
 * errors.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { routes } from '../../shared/api/routes.ts';
import { cli, startAgentProc, startHeadProc, stop, tempDir, waitFor, type HeadProc, type Proc } from '../helpers/cluster.ts';
import { writeShellConfig } from '../integration/shell-batches.ts';

let pki: string;
let head: HeadProc;
let agent: Proc;

/** A lab CA and a head certificate signed by it, as the README's openssl recipe makes them. */
function makePki(dir: string): void {
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=test lab CA', '-keyout', 'ca.key', '-out', 'ca.pem',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'head.key', '-out', 'head.csr']);
  fs.writeFileSync(path.join(dir, 'head.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  run(['x509', '-req', '-in', 'head.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'head.ext', '-out', 'head.pem']);
  // A second, unrelated CA: trusting it must not make the head's certificate acceptable.
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=other CA', '-keyout', 'other.key', '-out', 'other.pem',
    '-addext', 'basicConstraints=critical,CA:TRUE']);
}

before(async () => {
  pki = tempDir('pki');
  makePki(pki);
  head = await startHeadProc(tempDir('tls-head'), { extra: ['--tls-cert', path.join(pki, 'head.pem'), '--tls-key', path.join(pki, 'head.key')] });
});

after(async () => {
  if (agent) await stop(agent);
  await stop(head);
});

const ca = () => path.join(pki, 'ca.pem');
const env = (extra: Record<string, string> = {}) => ({ DISTRIBUTE_HEAD: head.url, DISTRIBUTE_TOKEN: head.adminToken, ...extra });

test('the head listens on https only', async () => {
  assert.match(head.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const plain = head.url.replace('https:', 'http:');
  const res = await fetch(`${plain}${routes.health()}`).then((r) => r.status, (err: Error) => err.message);
  assert.notEqual(res, 200, 'plain HTTP is not served');
});

test('a real batch over TLS: the agent over WSS with --ca, the CLI with $DISTRIBUTE_CA and --ca', async () => {
  agent = startAgentProc(head, 'tls-node', tempDir('tls-node'), ['--ca', ca()]);
  await waitFor(async () => {
    const r = await cli(['nodes', '--json'], env({ DISTRIBUTE_CA: ca() }));
    return r.code === 0 && JSON.parse(r.stdout).some((n: { name: string; state: string }) => n.name === 'tls-node' && n.state === 'idle');
  }, 30_000, () => `agent did not connect over WSS:\n${agent.output()}`);

  const blob = Buffer.from('x'.repeat(300_000));
  const cfg = writeShellConfig('tls', 'over_tls', [
    { name: 'a', command: 'mkdir -p distribute_save && cp input/blob.bin distribute_save/blob.bin && echo secret-over-tls' },
    { name: 'b', command: 'mkdir -p distribute_save && echo b > distribute_save/b.txt' },
  ], { files: { 'blob.bin': blob } });
  const added = await cli(['add', cfg, '--ca', ca()], env());
  assert.equal(added.code, 0, added.stderr);
  // Polled through the CLI: the test's own fetch does not know the lab CA.
  await waitFor(async () => {
    const r = await cli(['status', 'tls/over_tls', '--json'], env({ DISTRIBUTE_CA: ca() }));
    return r.code === 0 && JSON.parse(r.stdout).phase === 'ended';
  }, 60_000, () => `batch did not end:\n${agent.output()}`);
  const status = await cli(['status', 'tls/over_tls', '--json'], env({ DISTRIBUTE_CA: ca() }));
  assert.equal(status.code, 0, status.stderr);
  const b = JSON.parse(status.stdout);
  assert.deepEqual(b.jobs.map((j: { outcome: string }) => j.outcome), ['succeeded', 'succeeded']);

  const logs = await cli(['logs', 'tls/over_tls', 'a'], env({ DISTRIBUTE_CA: ca() }));
  assert.equal(logs.code, 0, logs.stderr);
  assert.match(logs.stdout, /secret-over-tls/);

  const out = tempDir('tls-pull');
  const pulled = await cli(['pull', '--batch', 'tls/over_tls', '--out', out, '--ca', ca()], env());
  assert.equal(pulled.code, 0, pulled.stderr);
  assert.ok(fs.readFileSync(path.join(out, 'tls/over_tls/a/blob.bin')).equals(blob));
  assert.equal(fs.readFileSync(path.join(out, 'tls/over_tls/b/b.txt'), 'utf8'), 'b\n');
});

test('without the lab CA (or with another CA) the CLI refuses the head\'s certificate', async () => {
  for (const extra of [{}, { DISTRIBUTE_CA: path.join(pki, 'other.pem') }] as Record<string, string>[]) {
    const r = await cli(['status'], env(extra));
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /cannot reach the head at https:.*(SELF_SIGNED|UNABLE_TO_VERIFY|CERT|certificate)/i);
  }
  const notCa = await cli(['status', '--ca', path.join(pki, 'head.pem')], env());
  assert.equal(notCa.code, 2);
  assert.match(notCa.stderr, /--ca: .*not a CA certificate/);
  const missing = await cli(['status', '--ca', path.join(pki, 'nope.pem')], env());
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--ca: cannot read/);
});

test('an agent without the lab CA does not get in', async () => {
  const stranger = startAgentProc(head, 'no-ca-node', tempDir('no-ca-node'));
  try {
    await waitFor(() => /certificate|SELF_SIGNED|UNABLE_TO_VERIFY/i.test(stranger.output()), 30_000, () => `no certificate error:\n${stranger.output()}`);
    const r = await cli(['nodes', '--json'], env({ DISTRIBUTE_CA: ca() }));
    assert.ok(!JSON.parse(r.stdout).some((n: { name: string }) => n.name === 'no-ca-node'));
  } finally {
    await stop(stranger);
  }
});

test('bad TLS files are usage errors naming the problem', async () => {
  const cases: [string[], RegExp][] = [
    [['--tls-cert', path.join(pki, 'head.pem')], /--tls-cert and --tls-key go together/],
    [['--tls-cert', path.join(pki, 'head.pem'), '--tls-key', path.join(pki, 'missing.key')], /--tls-key: cannot read/],
    [['--tls-cert', path.join(pki, 'head.key'), '--tls-key', path.join(pki, 'head.key')], /--tls-cert: .* holds no PEM certificate/],
    [['--tls-cert', path.join(pki, 'head.pem'), '--tls-key', path.join(pki, 'other.key')], /does the key belong to the certificate/],
  ];
  for (const [args, error] of cases) {
    const r = await cli(['server', '--data', tempDir('bad-tls'), '--port', '0', ...args]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, error);
  }
});
