/**
 * uploadResults against a loopback stand-in head: small files (logs included) go in one result
 * stream, a large one on its own; a head without the stream route (404 `no route`, an older
 * version) gets every file by PUT; the stand-in checks every byte against the sha256 it was given.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { PersistedRun } from '../../../../electron/agent/agent-store.ts';
import { forgetNoStreams, keepResults, readInline, uploadResults } from '../../../../electron/agent/result-upload.ts';
import { Workspace } from '../../../../electron/agent/runner/index.ts';
import { RUN_KEY_HEADER, SHA256_HEADER } from '../../../../shared/api/routes.ts';
import { FileStreamReader } from '../../../../shared/file-stream.ts';

const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

/** What the stand-in received: `stream:<paths>` or `put:<path>`, and the bytes of each file. */
const seen: string[] = [];
const received = new Map<string, Buffer>();
let oldHead = false;

let server: http.Server;
let headUrl: string;

before(async () => {
  server = http.createServer((req, res) => {
    void (async () => {
      const url = decodeURIComponent(req.url ?? '');
      assert.equal(req.headers[RUN_KEY_HEADER], 'key-1');
      if (req.method === 'POST' && url === '/api/agent/runs/r1/result-stream') {
        if (oldHead) {
          req.resume();
          res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `no route POST ${url}` }));
          return;
        }
        const reader = new FileStreamReader(req);
        const files: { path: string; size: number }[] = [];
        for (let h = await reader.next(); h; h = await reader.next()) {
          const parts: Buffer[] = [];
          for await (const c of reader.body()) parts.push(c);
          const data = Buffer.concat(parts);
          assert.equal(sha(data), reader.claimedSha256());
          received.set(h.path, data);
          files.push({ path: h.path, size: data.length });
        }
        seen.push(`stream:${files.map((f) => f.path).join(',')}`);
        res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ files }));
        return;
      }
      const put = /^\/api\/agent\/runs\/r1\/results\/(.+)$/.exec(url);
      if (req.method === 'PUT' && put) {
        const parts: Buffer[] = [];
        for await (const c of req) parts.push(c as Buffer);
        const data = Buffer.concat(parts);
        assert.equal(sha(data), req.trailers[SHA256_HEADER]);
        received.set(put[1], data);
        seen.push(`put:${put[1]}`);
        res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ path: put[1], size: data.length }));
        return;
      }
      res.writeHead(500).end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  headUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

function setup(): { ws: Workspace; run: PersistedRun; files: Map<string, Buffer> } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'distribute-result-upload-'));
  const ws = new Workspace(root);
  const run = {
    batch: { id: 'b1', name: 'sweep', namespace: 'ns', owner: 'ana' }, spec: { name: 'j1', files: [] },
    runId: 'r1', runKey: 'key-1', attempt: 1, phase: 'finished', startedAt: 1, pausedMs: 0, whole: true,
  } as unknown as PersistedRun;
  const save = path.join(ws.batchDir('b1'), 'distribute_save');
  const files = new Map<string, Buffer>([['a.txt', Buffer.from('alpha\n')], ['sub/b.bin', crypto.randomBytes(5000)], ['empty', Buffer.alloc(0)], ['large.bin', crypto.randomBytes((1 << 20) + 1)]]);
  for (const [rel, data] of files) {
    fs.mkdirSync(path.dirname(path.join(save, rel)), { recursive: true });
    fs.writeFileSync(path.join(save, rel), data);
  }
  fs.mkdirSync(ws.runDirOf(run), { recursive: true });
  fs.writeFileSync(path.join(ws.runDirOf(run), 'stdout.log'), 'out\n');
  files.set('_distribute/stdout.log', Buffer.from('out\n'));
  files.set('_distribute/stderr.log', Buffer.alloc(0));
  return { ws, run, files };
}

const ctx = (ws: Workspace) => ({ ws, headUrl, token: 't', log: () => undefined });

test('small files and both logs go in one result stream, the large file on its own; every byte arrives', async () => {
  seen.length = 0;
  received.clear();
  const { ws, run, files } = setup();
  const r = await uploadResults(ctx(ws), run);
  assert.deepEqual(seen.filter((s) => s.startsWith('stream:')), ['stream:a.txt,empty,sub/b.bin,_distribute/stdout.log,_distribute/stderr.log']);
  assert.deepEqual(seen.filter((s) => s.startsWith('put:')), ['put:large.bin']);
  assert.deepEqual(r.files.map((f) => f.path).sort(), [...files.keys()].sort());
  for (const f of r.files) {
    assert.equal(f.sha256, sha(files.get(f.path)!), f.path);
    assert.equal(f.size, files.get(f.path)!.length);
    assert.ok(received.get(f.path)!.equals(files.get(f.path)!), f.path);
  }
  const again = await uploadResults(ctx(ws), run, new Set(['sub/b.bin']));
  assert.deepEqual(again.files.map((f) => f.path), ['sub/b.bin'], 'only the files asked for again');
});

test('a head without the stream route gets every file by PUT', async () => {
  oldHead = true;
  seen.length = 0;
  received.clear();
  const { ws, run, files } = setup();
  const r = await uploadResults(ctx(ws), run);
  oldHead = false;
  assert.deepEqual(seen.filter((s) => s.startsWith('stream:')), []);
  assert.deepEqual(seen.map((s) => s.replace(/^put:/, '')).sort(), [...files.keys()].sort());
  assert.deepEqual(r.files.map((f) => f.path).sort(), [...files.keys()].sort());
  for (const f of r.files) assert.ok(received.get(f.path)!.equals(files.get(f.path)!), f.path);
});

test('once a head refused streams, files go to it by PUT until a new connection to it is welcomed', async () => {
  oldHead = true;
  const { ws, run } = setup();
  await uploadResults(ctx(ws), run);
  oldHead = false; // upgraded meanwhile
  seen.length = 0;
  await uploadResults(ctx(ws), run);
  assert.deepEqual(seen.filter((s) => s.startsWith('stream:')), [], 'still file by file on the same connection');
  forgetNoStreams(headUrl);
  seen.length = 0;
  await uploadResults(ctx(ws), run);
  assert.equal(seen.filter((s) => s.startsWith('stream:')).length, 1, 'a result stream again after the welcome');
});

test('inline: empty files are listed with the empty sha256 and sent empty without a read; missing logs are made', async () => {
  seen.length = 0;
  const { ws, run } = setup();
  fs.rmSync(path.join(ws.batchDir('b1'), 'distribute_save'), { recursive: true });
  fs.rmSync(path.join(ws.runDirOf(run), 'stdout.log'));
  const r = await uploadResults(ctx(ws), run, undefined, 256 * 1024);
  assert.deepEqual(seen, [], 'nothing uploaded: both logs go inline');
  assert.deepEqual(r.inline, ['_distribute/stdout.log', '_distribute/stderr.log']);
  for (const f of r.files) assert.deepEqual({ size: f.size, sha256: f.sha256 }, { size: 0, sha256: sha(Buffer.alloc(0)) }, f.path);
  assert.ok(fs.existsSync(path.join(ws.runDirOf(run), 'stdout.log')), 'a missing log is created (the archive always has both)');
  // A log listed empty is sent empty, whatever it holds later: its bytes match the report's list.
  fs.writeFileSync(path.join(ws.runDirOf(run), 'stdout.log'), 'written after the end\n');
  const ended = { ...run, state: { phase: 'finished', finished: { result: { outcome: 'succeeded', exitCode: 0 }, endedAt: 2, runMs: 1, files: r.files, inline: r.inline } } } as PersistedRun;
  assert.deepEqual(readInline(ws, ended, r.inline!), [{ path: '_distribute/stdout.log', data: '' }, { path: '_distribute/stderr.log', data: '' }]);
});

test('right after keepResults the upload goes by what it found (no results folder, the logs\' sizes); later it looks again', async () => {
  seen.length = 0;
  const { ws, run } = setup();
  const save = path.join(ws.batchDir('b1'), 'distribute_save');
  fs.rmSync(save, { recursive: true });
  fs.mkdirSync(save);
  fs.rmSync(path.join(ws.runDirOf(run), 'stdout.log'));
  fs.writeFileSync(path.join(ws.runDirOf(run), 'stderr.log'), 'warn\n');
  assert.equal(await keepResults(ws, run), 5);
  // Written after keepResults looked: the listing keeps the sizes it found a moment ago.
  fs.writeFileSync(path.join(ws.runDirOf(run), 'stderr.log'), 'warn\nmore\n');
  const r = await uploadResults(ctx(ws), run, undefined, 256 * 1024);
  assert.deepEqual(seen, []);
  assert.deepEqual(r.files.map((f) => [f.path, f.size]), [['_distribute/stdout.log', 0], ['_distribute/stderr.log', 10]],
    'the bytes read are listed; a log keepResults found missing is made and listed empty');
  assert.ok(fs.existsSync(path.join(ws.runDirOf(run), 'stdout.log')));

  // Taken once: the next upload of the run (and any after 100 ms) stats the files itself.
  fs.writeFileSync(path.join(ws.runDirOf(run), 'stdout.log'), 'late\n');
  const again = await uploadResults(ctx(ws), run, undefined, 256 * 1024);
  assert.deepEqual(again.files.map((f) => [f.path, f.size]), [['_distribute/stdout.log', 5], ['_distribute/stderr.log', 10]]);
  const other = { ...run, runId: 'r2', resultsKept: undefined } as PersistedRun;
  fs.mkdirSync(ws.runDirOf(other), { recursive: true });
  await keepResults(ws, other);
  fs.writeFileSync(path.join(ws.runDirOf(other), 'stdout.log'), 'after a while\n');
  await new Promise((resolve) => setTimeout(resolve, 150));
  const later = await uploadResults(ctx(ws), other, undefined, 256 * 1024);
  assert.deepEqual(later.files.map((f) => [f.path, f.size]), [['_distribute/stdout.log', 14], ['_distribute/stderr.log', 0]]);
});
