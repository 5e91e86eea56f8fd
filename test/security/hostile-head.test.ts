/**
 * Issue 12, "the client trusts nothing": the real CLI against a hostile head on loopback. The
 * stand-in speaks the head's contract (shared/api/routes.ts paths, answers shaped as the schemas of
 * shared/api/head-api.ts, which the client checks) but fills it with crafted names: a batch called
 * `../../../x`, job and path segments that climb out, absolute paths, control characters, a
 * download longer than announced. pull and sync must refuse before writing anything outside
 * --out (in fact before writing anything), and status, nodes and add must print every name with
 * its control characters escaped.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { routes } from '../../shared/api/routes.ts';
import { cli, listFiles, tempDir } from '../helpers/cluster.ts';
import { writeShellConfig } from '../integration/shell-batches.ts';

const GOOD_SHA = 'a'.repeat(64);
const EVIL = 'evil\x1b[31m\x1b]0;owned\x07\rfake\u202e';

interface Manifest { id: string; namespace: string; batch: string; files: { job: string; path: string; size: number; sha256: string }[]; pending: string[] }

/** What the fake head answers; tests change it between runs. */
const scene = {
  manifest: null as Manifest | null,
  /** Bytes served for any file download. */
  fileBody: Buffer.from('hello'),
  statusNamespace: 'ns',
};

function nodeView(name: string) {
  return {
    name, state: 'idle', owner: EVIL, lastSeen: 0, paused: null, agentVersion: '0.1.0', current: null,
    capabilities: { physicalCores: 4, logicalCores: 8, memoryBytes: 8 * 1024 ** 3, gpus: [{ vendor: EVIL, model: EVIL, memoryBytes: 1024 ** 3 }], tags: [EVIL], os: 'linux', arch: 'x64' },
  };
}

function batchView(namespace: string, name: string) {
  return {
    id: 'b1', namespace, name, owner: 'mallory', kind: 'shell', phase: 'ended', outcome: 'finished', createdAt: 0, submittedAt: 0, endedAt: 1,
    total: 1, counts: { queued: 0, assigned: 0, running: 0, paused: 0, succeeded: 1, failed: 0, buildFailed: 0, cancelled: 0 },
    capabilities: [], resources: {}, buildFailures: { [EVIL]: `log line\x1b[2J${EVIL}` },
  };
}

const archive = { state: 'ok', freeBytes: 10 * 1024 ** 3, totalBytes: 20 * 1024 ** 3, minFreeBytes: 1024 ** 3, reason: null, checkedAt: 1 };

let server: http.Server;
let url: string;
const requests: string[] = [];

before(async () => {
  server = http.createServer((req, res) => {
    const p = decodeURIComponent((req.url ?? '/').split('?')[0]);
    requests.push(`${req.method} ${p}`);
    const json = (status: number, body: unknown) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
    if (p === routes.whoami()) return json(200, { name: 'mallory', kind: 'user' });
    if (p === routes.status()) return json(200, { now: 1, batches: [batchView(scene.statusNamespace, EVIL.replace(/[\x00-\x1f]/g, ''))], running: [], nodes: [nodeView(EVIL)], disk: { [EVIL]: 10 }, archive });
    if (p === routes.nodes()) return json(200, { nodes: [nodeView(EVIL)], archive });
    if (p === routes.batch('b1')) {
      return json(200, { ...batchView('ns', 'b'), jobs: [{ name: EVIL, state: 'done', outcome: 'failed', node: EVIL, attempt: 1, attempts: 1, retries: 0, result: { outcome: 'failed', exitCode: 1 }, startedAt: 0, endedAt: 10, runMs: 10 }] });
    }
    if (req.method === 'POST' && p === routes.batches()) {
      req.resume();
      return json(201, { id: `id-${EVIL}`, missing: [], replaced: EVIL, nodes: [{ node: EVIL, connected: true, ok: false, reasons: [EVIL] }, { node: 'fine', connected: true, ok: true, reasons: [] }] });
    }
    if (req.method === 'POST' && p.endsWith('/submit')) return json(200, { ...batchView('ns', 'fine'), id: `id-${EVIL}` });
    if (p.startsWith('/api/batches/') && p.endsWith('/manifest')) return scene.manifest ? json(200, scene.manifest) : json(404, { error: 'no batch' });
    if (p.startsWith('/api/batches/') && p.includes('/files/')) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      return res.end(scene.fileBody);
    }
    json(404, { error: `no route ${p}` });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const env = () => ({ DISTRIBUTE_HEAD: url, DISTRIBUTE_TOKEN: 'usr_whatever-token-value' });
const file = (job: string, p: string, size = 5, sha256 = GOOD_SHA) => ({ job, path: p, size, sha256 });
const manifest = (over: Partial<Manifest>): Manifest => ({ id: 'b1', namespace: 'ns', batch: 'b', files: [file('j', 'out.txt')], pending: [], ...over });

/** A fresh root with `out` three levels down, so a climb of up to three `..` stays observable inside it. */
function sandbox(): { root: string; out: string } {
  const root = tempDir('hostile');
  const out = path.join(root, 'a', 'b', 'out');
  fs.mkdirSync(out, { recursive: true });
  return { root, out };
}

const cases: { name: string; manifest: Manifest; error: RegExp }[] = [
  { name: 'batch ../../../x', manifest: manifest({ batch: '../../../x' }), error: /batch: .*not a valid folder name|batch: .*must not contain/ },
  { name: 'batch ..', manifest: manifest({ batch: '..' }), error: /batch: '\.\.' is not a valid folder name/ },
  { name: 'namespace ../..', manifest: manifest({ namespace: '../..' }), error: /namespace: .*must not contain '\/'/ },
  { name: 'namespace empty', manifest: manifest({ namespace: '' }), error: /namespace: must not be empty/ },
  { name: 'job ..', manifest: manifest({ files: [file('..', 'x.txt')] }), error: /files\.0\.job/ },
  { name: 'job with a backslash', manifest: manifest({ files: [file('a\\..\\..', 'x.txt')] }), error: /files\.0\.job/ },
  { name: 'path climbing out', manifest: manifest({ files: [file('j', '../../../../../x.txt')] }), error: /files\.0\.path/ },
  { name: 'path climbing out midway', manifest: manifest({ files: [file('j', 'a/../../../../x.txt')] }), error: /files\.0\.path/ },
  { name: 'absolute path', manifest: manifest({ files: [file('j', '/tmp/x.txt')] }), error: /files\.0\.path: absolute path/ },
  { name: 'control characters in a path', manifest: manifest({ files: [file('j', 'a\x1b[2J.txt')] }), error: /files\.0\.path/ },
  { name: 'NUL in a path', manifest: manifest({ files: [file('j', 'a\0b')] }), error: /files\.0\.path/ },
  { name: 'negative size', manifest: manifest({ files: [file('j', 'x.txt', -1)] }), error: /files\.0\.size/ },
  { name: 'not a sha256', manifest: manifest({ files: [file('j', 'x.txt', 5, '../../x')] }), error: /files\.0\.sha256/ },
  { name: 'files not a list', manifest: { ...manifest({}), files: 'x' as never }, error: /files: / },
];

for (const c of cases) {
  test(`pull refuses a manifest with ${c.name} and writes nothing`, async () => {
    scene.manifest = c.manifest;
    const { root, out } = sandbox();
    const r = await cli(['pull', '--batch', 'b1', '--out', out], env());
    assert.equal(r.code, 1, `${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /the head sent a manifest the client refuses/);
    assert.match(r.stderr, c.error);
    assert.doesNotMatch(r.stderr, /\x1b/, 'the error shows no raw escape');
    assert.deepEqual(listFiles(root), [], 'nothing written anywhere');
    assert.deepEqual(fs.readdirSync(root), ['a'], 'no folder created beside --out');
  });
}

test('a download longer than the manifest announced is stopped and not kept', async () => {
  scene.manifest = manifest({ files: [file('j', 'big.bin', 5)] });
  scene.fileBody = Buffer.alloc(1 << 20, 1);
  const { out } = sandbox();
  const r = await cli(['pull', '--batch', 'b1', '--out', out], env());
  scene.fileBody = Buffer.from('hello');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /more than the 5 bytes/);
  assert.ok(!fs.existsSync(path.join(out, 'ns/b/j/big.bin')));
  const partial = path.join(out, 'ns/b/j/big.bin.partial');
  assert.ok(!fs.existsSync(partial) || fs.statSync(partial).size <= 5);
});

test('a sane manifest from the same stand-in is pulled, so the refusals above are about the names', async () => {
  const body = Buffer.from('hello');
  const sha = (await import('node:crypto')).createHash('sha256').update(body).digest('hex');
  scene.manifest = manifest({ files: [file('j', 'sub/out.txt', body.length, sha)] });
  const { out } = sandbox();
  const r = await cli(['pull', '--batch', 'b1', '--out', out], env());
  assert.equal(r.code, 0, r.stderr);
  assert.equal(fs.readFileSync(path.join(out, 'ns/b/j/sub/out.txt'), 'utf8'), 'hello');
});

test('sync refuses a crafted namespace and writes nothing outside its folder', async () => {
  scene.statusNamespace = '../../escaped';
  scene.manifest = manifest({ namespace: '../../escaped' });
  const { root, out } = sandbox();
  const r = await cli(['sync', '--out', out, '--json'], env());
  scene.statusNamespace = 'ns';
  assert.equal(r.code, 1, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.match(report.batches[0].error, /namespace/);
  assert.deepEqual(listFiles(root), []);
  assert.deepEqual(fs.readdirSync(path.join(root, 'a', 'b')), ['out']);
});

test('status, nodes and add print names with control characters escaped', async () => {
  for (const args of [['status'], ['status', 'b1'], ['nodes']]) {
    const r = await cli(args, env());
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    const all = r.stdout + r.stderr;
    assert.doesNotMatch(all, /[\x1b\x07\r\u202e]/, `${args.join(' ')} printed a raw control character:\n${JSON.stringify(all)}`);
    assert.match(r.stdout, /evil\\x1b\[31m/, `${args.join(' ')}:\n${r.stdout}${r.stderr}`);
  }
  const cfg = writeShellConfig('ns', 'fine', [{ name: 'j', command: 'true' }]);
  const added = await cli(['add', cfg], env());
  assert.equal(added.code, 0, added.stderr);
  assert.doesNotMatch(added.stdout + added.stderr, /[\x1b\x07\r\u202e]/, JSON.stringify(added.stdout));
  assert.match(added.stdout, /evil\\x1b\[31m/);
  assert.match(added.stdout, /\\u202e/);
});
