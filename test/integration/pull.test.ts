/**
 * pull as a sync (issue 4) against a real head and agent: byte-for-byte round trip of nested
 * result folders, a table of include/exclude/dry-run cases, nothing transferred twice, deleted
 * files come back, a pull SIGKILLed mid-download recovers without leftovers, crafted traversal
 * requests are refused (per-file and file-stream routes), symlinks out of distribute_save are not
 * archived, re-submitting a batch name needs --replace, and a pull of many small files (written
 * from a writer thread) arrives whole.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { FILE_STREAM_TYPE, FileStreamReader } from '../../shared/file-stream.ts';
import { api, BIN, cli, listFiles, startAgentProc, startHeadProc, stop, tempDir, waitBatchEnded, type HeadProc, type Proc } from '../helpers/cluster.ts';
import { untilHead } from '../helpers/head-watch.ts';
import { envFor, writeShellConfig } from './shell-batches.ts';

let head: HeadProc;
let agent: Proc;
let env: Record<string, string>;

const blob = crypto.randomBytes(300_000);
const text = 'héllo wörld\n'.repeat(100);
let roundTripCfg: string;
let roundTripSources: string;

before(async () => {
  head = await startHeadProc(tempDir('pull-head'), { nodeTimeout: '2s' });
  env = envFor(head);
  agent = startAgentProc(head, 'pull-node', tempDir('pull-node'));
  await untilHead(head, (v) => v.nodes.some((n) => n.state === 'idle'), `the agent to connect:\n${agent.output()}`);
  roundTripCfg = writeShellConfig('pulls', 'rt', [
    { name: 'j1', command: 'mkdir -p distribute_save/a/b/c "distribute_save/with space" && cp input/blob.bin distribute_save/a/b/c/blob.bin && cp input/text.txt distribute_save/a/t.txt && : > distribute_save/empty && cp input/text.txt "distribute_save/with space/t 2.txt"' },
    { name: 'j2', command: 'mkdir -p distribute_save/x && cp input/blob.bin distribute_save/x/blob.bin && echo j2 > distribute_save/note.log' },
  ], { files: { 'blob.bin': blob, 'text.txt': text } });
  roundTripSources = path.dirname(roundTripCfg);
  const added = await cli(['add', roundTripCfg], env);
  assert.equal(added.code, 0, added.stderr);
  await waitBatchEnded(head, 'pulls/rt', 30_000);
});

after(async () => {
  await stop(agent);
  await stop(head);
});

const J1 = ['_distribute/result.json', '_distribute/stderr.log', '_distribute/stdout.log', 'a/b/c/blob.bin', 'a/t.txt', 'empty', 'with space/t 2.txt'];
const J2 = ['_distribute/result.json', '_distribute/stderr.log', '_distribute/stdout.log', 'note.log', 'x/blob.bin'];

test('nested result folders round-trip byte for byte; a second pull transfers nothing; a deleted file comes back', async () => {
  const out = tempDir('rt-out');
  const first = await cli(['pull', roundTripCfg, '--out', out, '--json'], env);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(JSON.parse(first.stdout).pulled, J1.length + J2.length);
  assert.deepEqual(listFiles(path.join(out, 'pulls/rt/j1')), J1);
  assert.deepEqual(listFiles(path.join(out, 'pulls/rt/j2')), J2);
  assert.ok(fs.readFileSync(path.join(out, 'pulls/rt/j1/a/b/c/blob.bin')).equals(blob));
  assert.ok(fs.readFileSync(path.join(out, 'pulls/rt/j2/x/blob.bin')).equals(blob));
  assert.equal(fs.readFileSync(path.join(out, 'pulls/rt/j1/a/t.txt'), 'utf8'), text);
  assert.equal(fs.readFileSync(path.join(out, 'pulls/rt/j1/with space/t 2.txt'), 'utf8'), text);
  assert.equal(fs.statSync(path.join(out, 'pulls/rt/j1/empty')).size, 0);
  // Every pulled file equals the head's archived copy.
  for (const job of ['j1', 'j2']) {
    for (const f of listFiles(path.join(out, 'pulls', 'rt', job))) {
      assert.ok(fs.readFileSync(path.join(out, 'pulls', 'rt', job, f)).equals(fs.readFileSync(path.join(head.dataDir, 'archive/pulls/rt', job, f))), `${job}/${f}`);
    }
  }
  assert.ok(fs.readFileSync(path.join(roundTripSources, 'blob.bin')).equals(blob));

  const second = JSON.parse((await cli(['pull', roundTripCfg, '--out', out, '--json'], env)).stdout);
  assert.equal(second.pulled, 0);
  assert.equal(second.bytes, 0);
  assert.equal(second.skipped, J1.length + J2.length);

  fs.rmSync(path.join(out, 'pulls/rt/j1/a/b/c/blob.bin'));
  fs.writeFileSync(path.join(out, 'pulls/rt/j2/note.log'), 'edited locally\n');
  const third = JSON.parse((await cli(['pull', roundTripCfg, '--out', out, '--json'], env)).stdout);
  assert.equal(third.pulled, 2, 'the deleted and the changed file come back');
  assert.ok(fs.readFileSync(path.join(out, 'pulls/rt/j1/a/b/c/blob.bin')).equals(blob));
  assert.equal(fs.readFileSync(path.join(out, 'pulls/rt/j2/note.log'), 'utf8'), 'j2\n');

  // A stale .partial from another version of a file is resumed, found wrong, and fetched again.
  fs.rmSync(path.join(out, 'pulls/rt/j1/a/t.txt'));
  fs.writeFileSync(path.join(out, 'pulls/rt/j1/a/t.txt.partial'), 'x'.repeat(100));
  const fourth = await cli(['pull', roundTripCfg, '--out', out, '--json'], env);
  assert.equal(fourth.code, 0, fourth.stderr);
  assert.equal(fs.readFileSync(path.join(out, 'pulls/rt/j1/a/t.txt'), 'utf8'), text);
  assert.deepEqual(listFiles(out).filter((f) => f.endsWith('.partial')), []);
});

const ALL = [...J1.map((f) => `rt/j1/${f}`), ...J2.map((f) => `rt/j2/${f}`)].sort();
const cases: { name: string; args: string[]; pulled: string[] }[] = [
  { name: 'no rules: everything', args: [], pulled: ALL },
  { name: 'include one job', args: ['--include', '^rt/j2/'], pulled: ALL.filter((k) => k.startsWith('rt/j2/')) },
  { name: 'exclude logs and metadata', args: ['--exclude', '\\.log$', '--exclude', '/_distribute/'], pulled: ['rt/j1/a/b/c/blob.bin', 'rt/j1/a/t.txt', 'rt/j1/empty', 'rt/j1/with space/t 2.txt', 'rt/j2/x/blob.bin'] },
  { name: 'include before exclude: first match decides', args: ['--include', '\\.bin$', '--exclude', '^rt/j1/'], pulled: ['rt/j1/a/b/c/blob.bin', 'rt/j2/x/blob.bin'] },
  { name: 'exclude before include: first match decides', args: ['--exclude', '^rt/j1/', '--include', '\\.bin$'], pulled: ['rt/j2/x/blob.bin'] },
  { name: 'include with no match pulls nothing', args: ['--include', 'nothing-matches-this'], pulled: [] },
  { name: 'pattern sees the path relative to the namespace', args: ['--include', '^rt/j1/a/'], pulled: ['rt/j1/a/b/c/blob.bin', 'rt/j1/a/t.txt'] },
];

for (const c of cases) {
  test(`pull rules: ${c.name}`, async () => {
    const out = tempDir('rules');
    const dry = await cli(['pull', roundTripCfg, '--out', out, '--dry-run', '--json', ...c.args], env);
    assert.equal(dry.code, 0, dry.stderr);
    const plan = JSON.parse(dry.stdout);
    assert.equal(plan.dryRun, true);
    assert.deepEqual(plan.files.filter((f: any) => f.decision === 'pull').map((f: any) => f.path).sort(), c.pulled);
    assert.deepEqual(plan.files.filter((f: any) => f.decision === 'excluded').map((f: any) => f.path).sort(), ALL.filter((k) => !c.pulled.includes(k)));
    const expectedBytes = c.pulled.reduce((a, k) => a + fs.statSync(path.join(head.dataDir, 'archive/pulls', k)).size, 0);
    assert.equal(plan.bytes, expectedBytes);
    assert.deepEqual(listFiles(out), [], 'a dry run writes nothing');
    if (c.args.length === 2) {
      // The human form of the same plan (once: every CLI start costs a second on this machine).
      const human = await cli(['pull', roundTripCfg, '--out', out, '--dry-run', ...c.args], env);
      assert.match(human.stdout, new RegExp(`${c.pulled.length} files \\(.*\\) would be pulled`));
      assert.match(human.stdout, /^excluded {4}rt\/j1\//m);
    }
    const real = await cli(['pull', roundTripCfg, '--out', out, '--json', ...c.args], env);
    assert.equal(real.code, 0, real.stderr);
    assert.deepEqual(listFiles(path.join(out, 'pulls')), c.pulled.slice().sort(), 'pull lays results out as <out>/<namespace>/<batch>/<job>');
  });
}

test('a bad regex is a usage error', async () => {
  const r = await cli(['pull', roundTripCfg, '--include', '(unclosed'], env);
  assert.equal(r.code, 2);
});

test('a pull SIGKILLed during a large download recovers on rerun with correct files and no .partial left', async () => {
  const cfg = writeShellConfig('pulls', 'big', [{ name: 'huge', command: 'head -c 200000000 /dev/urandom > distribute_save/big.bin' }]);
  assert.equal((await cli(['add', cfg], env)).code, 0);
  await waitBatchEnded(head, 'pulls/big', 120_000);
  const out = tempDir('big-out');
  const partial = path.join(out, 'pulls/big/huge/big.bin.partial');
  const child = spawn(process.execPath, [BIN, 'pull', '--batch', 'pulls/big', '--out', out], { env: { ...process.env, ...env }, stdio: 'ignore' });
  const exited = new Promise((r) => child.on('exit', r));
  let seen = 0;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      seen = fs.statSync(partial).size;
    } catch { /* not yet */ }
    if (seen > 5_000_000) break;
    await new Promise((r) => setImmediate(r));
  }
  child.kill('SIGKILL');
  await exited;
  const left = fs.statSync(partial).size;
  assert.ok(left > 0 && left < 200_000_000, `killed halfway (partial had ${left} bytes)`);
  assert.ok(!fs.existsSync(path.join(out, 'pulls/big/huge/big.bin')), 'no complete-looking file after the kill');

  const rerun = await cli(['pull', '--batch', 'pulls/big', '--out', out, '--json'], env);
  assert.equal(rerun.code, 0, rerun.stderr);
  const sha = (p: string) => crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex');
  assert.equal(sha(path.join(out, 'pulls/big/huge/big.bin')), sha(path.join(head.dataDir, 'archive/pulls/big/huge/big.bin')));
  assert.deepEqual(listFiles(out).filter((f) => f.endsWith('.partial')), []);
  assert.equal(fs.statSync(path.join(out, 'pulls/big/huge/big.bin')).size, 200_000_000);
  // The big batch is deleted again so other tests' disks stay small.
  assert.equal((await cli(['rm', 'pulls/big', '--yes'], env)).code, 0);
});

/** A GET with the path sent exactly as written (fetch would normalise `..`). */
function rawGet(p: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(head.url);
    const req = http.request({ host: u.hostname, port: u.port, path: p, headers: { authorization: `Bearer ${head.adminToken}` } }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('crafted file requests with .. or encoded traversal are refused and read nothing outside the archive', async () => {
  const secret = fs.readFileSync(path.join(head.dataDir, 'admin-token'), 'utf8').trim();
  fs.writeFileSync(path.join(head.dataDir, 'archive', 'pulls', 'outside.txt'), 'OUTSIDE-SECRET');
  const attempts = [
    '/api/batches/pulls%2Frt/files/j1/../../../admin-token',
    '/api/batches/pulls%2Frt/files/j1/..%2F..%2F..%2F..%2Fadmin-token',
    '/api/batches/pulls%2Frt/files/j1/%2e%2e/%2e%2e/outside.txt',
    '/api/batches/pulls%2Frt/files/j1/%2E%2E%2F%2E%2E%2Foutside.txt',
    '/api/batches/pulls%2Frt/files/j1/a/..%2f..%2f..%2foutside.txt',
    '/api/batches/pulls%2Frt/files/..%2F..%2F/outside.txt',
    '/api/batches/pulls%2Frt/files/%2e%2e/outside.txt',
    '/api/batches/pulls%2Frt/files/j1/%2Fetc%2Fpasswd',
    '/api/batches/pulls%2Frt/files/j1/a%00/t.txt',
    '/api/batches/pulls%2Frt/files/j1/a/b/c/..%5c..%5c..%5coutside.txt',
    '/api/batches/..%2F..%2Fadmin-token/files/j1/x',
  ];
  for (const p of attempts) {
    const r = await rawGet(p);
    assert.ok(r.status === 400 || r.status === 404, `${p} answered ${r.status}: ${r.body}`);
    assert.ok(!r.body.includes(secret) && !r.body.includes('OUTSIDE-SECRET') && !r.body.includes('root:'), `${p} leaked: ${r.body}`);
  }
  // A folder is not served as a file, and a legitimate request still works.
  assert.equal((await rawGet('/api/batches/pulls%2Frt/files/j1/a')).status, 404);
  const ok = await rawGet('/api/batches/pulls%2Frt/files/j1/a/t.txt');
  assert.equal(ok.status, 200);
  assert.equal(ok.body, text);
});

test('file-stream requests: asked files come in order as one stream; crafted or unknown paths are refused before anything is sent', async () => {
  const post = (body: unknown, ref = 'pulls%2Frt') => fetch(`${head.url}/api/batches/${ref}/file-stream`, {
    method: 'POST', headers: { authorization: `Bearer ${head.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  const ok = await post({ files: [{ job: 'j2', path: 'x/blob.bin' }, { job: 'j1', path: 'a/t.txt' }, { job: 'j1', path: '_distribute/result.json' }] });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get('content-type'), FILE_STREAM_TYPE);
  const reader = new FileStreamReader(ok.body as unknown as AsyncIterable<Uint8Array>);
  const got: string[] = [];
  for (let h = await reader.next(); h; h = await reader.next()) {
    const parts: Buffer[] = [];
    for await (const c of reader.body()) parts.push(c);
    const data = Buffer.concat(parts);
    assert.equal(crypto.createHash('sha256').update(data).digest('hex'), reader.claimedSha256(), `${h.path}: trailer is the file's sha256`);
    got.push(`${h.job}/${h.path}:${data.length}`);
    if (h.path === 'x/blob.bin') assert.ok(data.equals(blob));
  }
  assert.deepEqual(got.slice(0, 2), [`j2/x/blob.bin:${blob.length}`, `j1/a/t.txt:${Buffer.byteLength(text)}`]);
  assert.match(got[2], /^j1\/_distribute\/result\.json:\d+$/);
  const secret = fs.readFileSync(path.join(head.dataDir, 'admin-token'), 'utf8').trim();
  const refused: [unknown, number][] = [
    [{ files: [{ job: 'j1', path: '../../../admin-token' }] }, 400],
    [{ files: [{ job: 'j1', path: '/etc/passwd' }] }, 400],
    [{ files: [{ job: '..', path: 'outside.txt' }] }, 400],
    [{ files: [{ job: 'j1', path: 'a/../../j2/note.log' }] }, 400],
    [{ files: [{ job: 'j1', path: 'not-archived.txt' }] }, 404],
    [{ files: [{ job: 'j1', path: 'a' }] }, 404],
    [{ files: [{ job: 'nope', path: 'a/t.txt' }] }, 404],
    [{ files: [] }, 400],
    [{ files: 'all' }, 400],
    [{}, 400],
  ];
  for (const [body, status] of refused) {
    const r = await post(body);
    const answer = await r.text();
    assert.equal(r.status, status, `${JSON.stringify(body)} answered ${r.status}: ${answer}`);
    assert.ok(!answer.includes(secret) && !answer.includes('root:'), `${JSON.stringify(body)} leaked: ${answer}`);
  }
  assert.equal((await post({ files: [{ job: 'j1', path: 'a/t.txt' }] }, '..%2F..%2Fadmin-token')).status, 404);
});

test('a symlink to /etc/passwd left in distribute_save is not archived; a link inside it is', async () => {
  const cfg = writeShellConfig('pulls', 'links', [{
    name: 'l', command: 'ln -s /etc/passwd distribute_save/pw && echo real > distribute_save/real.txt && ln -s real.txt distribute_save/inner && mkdir distribute_save/d && ln -s ../../../../.. distribute_save/d/up',
  }]);
  assert.equal((await cli(['add', cfg], env)).code, 0);
  const batch = await waitBatchEnded(head, 'pulls/links', 30_000);
  assert.equal(batch.jobs[0].outcome, 'succeeded');
  const archived = listFiles(path.join(head.dataDir, 'archive/pulls/links/l'));
  assert.ok(!archived.includes('pw'), `pw archived: ${archived}`);
  assert.ok(!archived.some((f) => f.startsWith('d/up')), `d/up followed: ${archived}`);
  assert.ok(archived.includes('real.txt') && archived.includes('inner'));
  for (const f of archived) assert.ok(!fs.lstatSync(path.join(head.dataDir, 'archive/pulls/links/l', f)).isSymbolicLink(), `${f} is a link in the archive`);
  assert.equal(fs.readFileSync(path.join(head.dataDir, 'archive/pulls/links/l/inner'), 'utf8'), 'real\n');
  const out = tempDir('links-out');
  assert.equal((await cli(['pull', '--batch', 'pulls/links', '--out', out], env)).code, 0);
  assert.ok(!fs.existsSync(path.join(out, 'pulls/links/l/pw')));
  assert.match(fs.readFileSync(path.join(out, 'pulls/links/l/_distribute/stderr.log'), 'utf8'), /not archived: .*pw \(link points outside distribute_save\)/);
});

test('re-submitting an existing batch name is refused unless --replace, saying what would be overwritten', async () => {
  const refused = await cli(['add', roundTripCfg], env);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /batch 'pulls\/rt' already exists \(2 jobs, 2 done, owner admin\); add --replace to delete it and its archived results/);
  assert.ok(fs.existsSync(path.join(head.dataDir, 'archive/pulls/rt/j1/a/t.txt')), 'the archive is untouched');
  // Another user is not told about --replace, which would be refused: the name is taken.
  const erin = (await api(head, '/api/users', { body: { name: 'erin' } })).body.token;
  const foreign = await cli(['add', roundTripCfg], { ...env, DISTRIBUTE_TOKEN: erin });
  assert.equal(foreign.code, 1);
  assert.match(foreign.stderr, /batch 'pulls\/rt' already exists and belongs to admin; choose another batch_name or namespace/);
  assert.doesNotMatch(foreign.stderr, /--replace/);

  const cfg = writeShellConfig('pulls', 'rt', [{ name: 'only', command: 'echo new > distribute_save/new.txt' }]);
  const replaced = await cli(['add', cfg, '--replace'], env);
  assert.equal(replaced.code, 0, replaced.stderr);
  assert.match(replaced.stdout, /replaced the earlier batch/);
  await waitBatchEnded(head, 'pulls/rt', 30_000);
  assert.deepEqual(fs.readdirSync(path.join(head.dataDir, 'archive/pulls/rt')), ['only']);
});

test('a pull of many small files (written from writer threads) brings each byte for byte, leaves no .partial, a second pull skips them all, and a write that fails fails the pull', async () => {
  // 120 small files: past the count from which pull writes them from a thread (client/pull.ts THREADED_FILES).
  const cfg = writeShellConfig('pulls', 'many', [
    { name: 'm1', command: 'mkdir -p distribute_save/d && for i in $(seq 1 60); do head -c $((i * 37)) /dev/urandom > distribute_save/f$i.bin; head -c 100 /dev/urandom > distribute_save/d/g$i.bin; done' },
  ]);
  const added = await cli(['add', cfg], env);
  assert.equal(added.code, 0, added.stderr);
  await waitBatchEnded(head, 'pulls/many', 30_000);
  const out = tempDir('many-out');
  const first = await cli(['pull', cfg, '--out', out, '--json'], env);
  assert.equal(first.code, 0, first.stderr);
  const archived = listFiles(path.join(head.dataDir, 'archive/pulls/many/m1'));
  assert.equal(archived.length, 123);
  assert.equal(JSON.parse(first.stdout).pulled, archived.length);
  assert.deepEqual(listFiles(path.join(out, 'pulls/many/m1')), archived);
  for (const f of archived) assert.ok(fs.readFileSync(path.join(out, 'pulls/many/m1', f)).equals(fs.readFileSync(path.join(head.dataDir, 'archive/pulls/many/m1', f))), f);
  const second = JSON.parse((await cli(['pull', cfg, '--out', out, '--json'], env)).stdout);
  assert.equal(second.pulled, 0);
  assert.equal(second.skipped, archived.length);

  // A file where a job's folder must go: the writer thread's failure is the pull's (exit 1, what failed).
  const blocked = tempDir('many-blocked');
  fs.mkdirSync(path.join(blocked, 'pulls/many'), { recursive: true });
  fs.writeFileSync(path.join(blocked, 'pulls/many/m1'), 'not a folder');
  const refused = await cli(['pull', cfg, '--out', blocked, '--json'], env);
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, /writing into .* failed: (EEXIST|ENOTDIR)/);
  assert.equal(fs.readFileSync(path.join(blocked, 'pulls/many/m1'), 'utf8'), 'not a folder');
});
