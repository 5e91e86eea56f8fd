/**
 * The client trusts nothing in a file stream either: the real CLI pulls from a stand-in head whose
 * manifest is sane but whose file-stream answer (shared/file-stream.ts) is crafted: cut short, a
 * path that was not asked for (climbing out, another job), more bytes than the manifest says,
 * bytes that do not match the sha256, files nobody asked for, an error frame, something that is
 * not a stream at all. Each pull fails (exit 1) naming the problem, writes nothing outside --out,
 * and never leaves a file under its final name that does not match the manifest. A large file cut
 * halfway keeps its `.partial`, which the next pull resumes with a Range request.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { routes } from '../../shared/api/routes.ts';
import { FILE_STREAM_TYPE, frameError, frameHeader, frameTrailer, streamEnd, streamStart } from '../../shared/file-stream.ts';
import { cli, listFiles, tempDir } from '../helpers/cluster.ts';

const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
const SMALL = Buffer.from('hello');
const LARGE = crypto.randomBytes(3 << 20);

interface Entry { job: string; path: string; data: Buffer }
const manifestFiles: Entry[] = [{ job: 'j', path: 'sub/a.txt', data: SMALL }, { job: 'j', path: 'big.bin', data: LARGE }];

/** The file-stream answer of the current test: bytes (and a content type). */
const scene = { stream: Buffer.alloc(0) as Buffer, type: FILE_STREAM_TYPE, asked: [] as unknown[], ranges: [] as string[] };

const frame = (e: { job?: string; path: string; size?: number; data: Buffer; sha?: string }) => [frameHeader({ job: e.job, path: e.path, size: e.size ?? e.data.length }), e.data, frameTrailer(e.sha ?? sha(e.data))];
const good = (entries: Entry[] = manifestFiles) => Buffer.concat([streamStart(), ...entries.flatMap((e) => frame(e)), streamEnd()]);

let server: http.Server;
let url: string;

before(async () => {
  server = http.createServer((req, res) => {
    const p = decodeURIComponent((req.url ?? '/').split('?')[0]);
    const json = (status: number, body: unknown) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
    if (p === routes.batchManifest('b1')) {
      return json(200, { id: 'b1', namespace: 'ns', batch: 'b', pending: [], files: manifestFiles.map((f) => ({ job: f.job, path: f.path, size: f.data.length, sha256: sha(f.data) })) });
    }
    if (req.method === 'POST' && p === routes.batchFileStream('b1')) {
      let body = '';
      req.on('data', (d) => { body += d; });
      req.on('end', () => {
        scene.asked.push(JSON.parse(body));
        res.writeHead(200, { 'content-type': scene.type });
        res.end(scene.stream);
      });
      return;
    }
    // The per-file route, for resuming a partial: honours `Range: bytes=N-`.
    const f = manifestFiles.find((m) => p === routes.batchFile('b1', m.job, m.path));
    if (f) {
      const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
      scene.ranges.push(`${f.path}:${start}`);
      res.writeHead(start ? 206 : 200, { 'content-type': 'application/octet-stream' });
      return res.end(f.data.subarray(start));
    }
    json(404, { error: `no route ${req.method} ${p}` });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const env = () => ({ DISTRIBUTE_HEAD: url, DISTRIBUTE_TOKEN: 'usr_whatever-token-value' });

function sandbox(): { root: string; out: string; job: string } {
  const root = tempDir('hostile-stream');
  const out = path.join(root, 'a', 'b', 'out');
  fs.mkdirSync(out, { recursive: true });
  return { root, out, job: path.join(out, 'ns', 'b', 'j') };
}

/** Every file under `root` is inside `out` and, under its final name, equal to the manifest's bytes. */
function assertNothingWrong(root: string, out: string): void {
  for (const f of listFiles(root)) {
    const abs = path.join(root, f);
    assert.ok(abs.startsWith(out + path.sep), `${f} is outside --out`);
    if (f.endsWith('.partial')) continue;
    const m = manifestFiles.find((e) => abs === path.join(out, 'ns', 'b', e.job, e.path));
    assert.ok(m, `unexpected file ${f}`);
    assert.ok(fs.readFileSync(abs).equals(m.data), `${f} differs from the manifest`);
  }
}

const cut = good().length;
const cases: { name: string; stream: () => Buffer; type?: string; error: RegExp }[] = [
  { name: 'cut inside the small file', stream: () => good().subarray(0, streamStart().length + 30), error: /ended inside 'sub\/a\.txt'|ended before/ },
  { name: 'cut before its end frame', stream: () => good().subarray(0, cut - 4), error: /truncated/ },
  { name: 'a path climbing out instead of the asked one', stream: () => Buffer.concat([streamStart(), ...frame({ job: 'j', path: '../../../../../escaped.txt', data: SMALL }), streamEnd()]), error: /sent 'j\/\.\.\/\.\.\/.*' where b\/j\/sub\/a\.txt was expected/ },
  { name: 'an absolute path', stream: () => Buffer.concat([streamStart(), ...frame({ job: 'j', path: '/tmp/escaped.txt', data: SMALL }), streamEnd()]), error: /where b\/j\/sub\/a\.txt was expected/ },
  { name: 'another job', stream: () => Buffer.concat([streamStart(), ...frame({ job: '..', path: 'sub/a.txt', data: SMALL }), streamEnd()]), error: /where b\/j\/sub\/a\.txt was expected/ },
  { name: 'more bytes than the manifest says', stream: () => Buffer.concat([streamStart(), ...frame({ job: 'j', path: 'sub/a.txt', data: Buffer.alloc(64 << 20, 1) }), streamEnd()]), error: /over the limit|manifest size is 5/ },
  { name: 'a size one byte off', stream: () => Buffer.concat([streamStart(), ...frame({ job: 'j', path: 'sub/a.txt', data: Buffer.from('hello!') }), streamEnd()]), error: /sent 6 bytes for b\/j\/sub\/a\.txt, whose manifest size is 5/ },
  { name: 'bytes that do not match the sha256', stream: () => good([{ ...manifestFiles[0], data: Buffer.from('HELLO') }, manifestFiles[1]]), error: /sub\/a\.txt does not match its sha256/ },
  { name: 'a large file whose bytes do not match', stream: () => good([manifestFiles[0], { ...manifestFiles[1], data: Buffer.alloc(LARGE.length, 7) }]), error: /big\.bin does not match its sha256/ },
  { name: 'files nobody asked for after the asked ones', stream: () => Buffer.concat([good().subarray(0, cut - 4), ...frame({ job: 'j', path: 'extra.txt', data: SMALL }), streamEnd()]), error: /more files than the 2 asked for/ },
  { name: 'an error frame', stream: () => Buffer.concat([streamStart(), frameError('archived file vanished')]), error: /sender stopped after 0 files: archived file vanished/ },
  { name: 'an HTML page with the right type', stream: () => Buffer.from('<html><body>proxy error</body></html>'), error: /not a file stream/ },
  { name: 'the wrong content type', stream: () => good(), type: 'text/html', error: /answered a file-stream request with text\/html/ },
];

for (const c of cases) {
  test(`pull refuses a file stream with ${c.name}`, async () => {
    scene.stream = c.stream();
    scene.type = c.type ?? FILE_STREAM_TYPE;
    const { root, out } = sandbox();
    const r = await cli(['pull', '--batch', 'b1', '--out', out], env());
    assert.equal(r.code, 1, `${r.stdout}${r.stderr}`);
    assert.match(r.stderr, c.error);
    assertNothingWrong(root, out);
    assert.deepEqual(fs.readdirSync(path.join(root, 'a', 'b')), ['out'], 'nothing beside --out');
  });
}

test('the same stand-in with a sane stream is pulled in one request, so the refusals above are about the faults', async () => {
  scene.stream = good();
  scene.type = FILE_STREAM_TYPE;
  scene.asked = [];
  const { root, out, job } = sandbox();
  const r = await cli(['pull', '--batch', 'b1', '--out', out, '--json'], env());
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).pulled, 2);
  assert.deepEqual(scene.asked, [{ files: [{ job: 'j', path: 'sub/a.txt' }, { job: 'j', path: 'big.bin' }] }]);
  assert.ok(fs.readFileSync(path.join(job, 'big.bin')).equals(LARGE));
  assert.equal(listFiles(root).length, 2);
});

test('a stream cut inside a large file keeps its .partial; the next pull resumes it with a Range request', async () => {
  const whole = good();
  const at = whole.indexOf(LARGE.subarray(0, 64)) + (1 << 20) + 12345;
  scene.stream = whole.subarray(0, at);
  scene.type = FILE_STREAM_TYPE;
  const { root, out, job } = sandbox();
  const first = await cli(['pull', '--batch', 'b1', '--out', out], env());
  assert.equal(first.code, 1);
  assert.match(first.stderr, /ended inside 'big\.bin'/);
  assert.ok(!fs.existsSync(path.join(job, 'big.bin')));
  const partial = fs.statSync(path.join(job, 'big.bin.partial')).size;
  assert.ok(partial > 0 && partial < LARGE.length, `partial of ${partial} bytes`);
  assertNothingWrong(root, out);
  scene.ranges = [];
  const second = await cli(['pull', '--batch', 'b1', '--out', out], env());
  assert.equal(second.code, 0, second.stderr);
  assert.deepEqual(scene.ranges, [`big.bin:${partial}`]);
  assert.ok(fs.readFileSync(path.join(job, 'big.bin')).equals(LARGE));
  assert.ok(!fs.existsSync(path.join(job, 'big.bin.partial')));
});
