import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { Archive, META_DIR, RESULT_FILE, type JobResultMeta } from '../../../../head/archive/archive.ts';
import type { ResultFile } from '../../../../shared/protocol/messages.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function newArchive(): Promise<{ dir: string; archive: Archive }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'archive-'));
  dirs.push(dir);
  const archive = new Archive(dir);
  await archive.init();
  return { dir, archive };
}

const sha = (data: string) => crypto.createHash('sha256').update(data).digest('hex');

/** Write `files` (path → content) into the staging folder of an attempt, through stagingFile. */
function stage(archive: Archive, batchId: string, job: string, attempt: number, files: Record<string, string>): ResultFile[] {
  return Object.entries(files).map(([rel, content]) => {
    const p = archive.stagingFile(batchId, job, attempt, rel);
    assert.ok(p.ok && p.abs, `stagingFile refused ${rel}`);
    fs.mkdirSync(path.dirname(p.abs), { recursive: true });
    fs.writeFileSync(p.abs, content);
    return { path: rel, size: Buffer.byteLength(content), sha256: sha(content) };
  });
}

function meta(job: string, attempt: number, files: ResultFile[]): JobResultMeta {
  return {
    batchId: 'B1', namespace: 'ns', batch: 'sweep', job, attempt, node: 'ws1',
    result: { outcome: 'succeeded', exitCode: 0 }, startedAt: 10, endedAt: 20, runMs: 10,
    files, bytes: files.reduce((s, f) => s + f.size, 0),
  };
}

describe('Archive', () => {
  test('init creates archive, staging and inputs folders; paths follow the layout', async () => {
    const { dir, archive } = await newArchive();
    for (const d of ['archive', 'staging', 'inputs']) assert.ok(fs.statSync(path.join(dir, d)).isDirectory());
    assert.equal(archive.jobDir('ns', 'sweep', 'j1'), path.join(dir, 'archive', 'ns', 'sweep', 'j1'));
    assert.equal(archive.stagingDir('B1', 'j1', 2), path.join(dir, 'staging', 'B1', 'j1', '2'));
    assert.equal(archive.inputPath('ab'.repeat(32)), path.join(dir, 'inputs', 'ab'.repeat(32)));
    assert.equal(await archive.hasInput('ab'.repeat(32)), false);
    fs.writeFileSync(archive.inputPath('ab'.repeat(32)), 'x');
    assert.equal(await archive.hasInput('ab'.repeat(32)), true);
  });

  test('commit moves staging into <archive>/<ns>/<batch>/<job>/ with result.json, and staging is gone', async () => {
    const { archive } = await newArchive();
    const files = stage(archive, 'B1', 'j1', 1, { 'out/a.txt': 'alpha', [`${META_DIR}/stdout.log`]: 'hello\n' });
    const m = meta('j1', 1, files);
    await archive.commit(m);
    const jobDir = archive.jobDir('ns', 'sweep', 'j1');
    assert.equal(fs.readFileSync(path.join(jobDir, 'out/a.txt'), 'utf8'), 'alpha');
    assert.equal(fs.readFileSync(path.join(jobDir, META_DIR, 'stdout.log'), 'utf8'), 'hello\n');
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(jobDir, RESULT_FILE), 'utf8')), m);
    assert.deepEqual(await archive.readResult('ns', 'sweep', 'j1'), m);
    assert.equal(fs.existsSync(archive.stagingDir('B1', 'j1', 1)), false, 'staging moved away');
    assert.deepEqual(fs.readdirSync(path.join(jobDir, META_DIR)).sort(), ['result.json', 'stdout.log'], 'no temp file left');
  });

  test('commit of a later attempt replaces the earlier folder of the same job entirely', async () => {
    const { archive } = await newArchive();
    await archive.commit(meta('j1', 1, stage(archive, 'B1', 'j1', 1, { 'old.txt': 'first run' })));
    await archive.commit(meta('j2', 1, stage(archive, 'B1', 'j2', 1, { 'other.txt': 'x' })));
    const m2 = meta('j1', 2, stage(archive, 'B1', 'j1', 2, { 'new.txt': 'second run' }));
    await archive.commit(m2);
    const jobDir = archive.jobDir('ns', 'sweep', 'j1');
    assert.equal(fs.existsSync(path.join(jobDir, 'old.txt')), false, 'files of the earlier attempt are gone');
    assert.equal(fs.readFileSync(path.join(jobDir, 'new.txt'), 'utf8'), 'second run');
    assert.equal((await archive.readResult('ns', 'sweep', 'j1'))?.attempt, 2);
    assert.equal((await archive.readResult('ns', 'sweep', 'j2'))?.attempt, 1, 'the other job is untouched');
  });

  test('commit with nothing staged still archives result.json (a job that saved nothing)', async () => {
    const { archive } = await newArchive();
    const m = meta('empty', 1, []);
    await archive.commit(m);
    assert.deepEqual(fs.readdirSync(archive.jobDir('ns', 'sweep', 'empty')), [META_DIR]);
    assert.deepEqual(await archive.readResult('ns', 'sweep', 'empty'), m);
  });

  test('missingStaged reports absent, wrong-size and unsafe files only', async () => {
    const { archive } = await newArchive();
    const [good, short] = stage(archive, 'B1', 'j1', 3, { 'good.bin': '12345', 'short.bin': '12' });
    const files: ResultFile[] = [
      good,
      { ...short, size: 10 },
      { path: 'absent.bin', size: 1, sha256: sha('a') },
      { path: '../escape.bin', size: 1, sha256: sha('a') },
      { path: 'out', size: 0, sha256: sha('') },
    ];
    fs.mkdirSync(path.join(archive.stagingDir('B1', 'j1', 3), 'out'));
    assert.deepEqual(await archive.missingStaged('B1', 'j1', 3, files), ['short.bin', 'absent.bin', '../escape.bin', 'out']);
    assert.deepEqual(await archive.missingStaged('B1', 'j1', 3, [good]), []);
    assert.deepEqual(await archive.missingStaged('B1', 'j1', 4, [good]), ['good.bin'], 'another attempt has its own staging');
  });

  test('stagingFile refuses unsafe paths and keeps safe ones inside the attempt folder', async () => {
    const { archive } = await newArchive();
    for (const bad of ['../x', 'a/../../x', '/etc/passwd', '', 'a//b', '..', 'a/./b']) {
      const p = archive.stagingFile('B1', 'j1', 1, bad);
      assert.equal(p.ok, false, `'${bad}' must be refused`);
      assert.equal(p.abs, undefined);
    }
    const p = archive.stagingFile('B1', 'j1', 1, 'results/run 1/out.csv');
    assert.ok(p.ok);
    assert.equal(p.abs, path.join(archive.stagingDir('B1', 'j1', 1), 'results', 'run 1', 'out.csv'));
  });

  test('readResult is null for a missing job and for an unreadable result.json', async () => {
    const { archive } = await newArchive();
    assert.equal(await archive.readResult('ns', 'sweep', 'nope'), null);
    fs.mkdirSync(path.join(archive.jobDir('ns', 'sweep', 'bad'), META_DIR), { recursive: true });
    fs.writeFileSync(path.join(archive.jobDir('ns', 'sweep', 'bad'), RESULT_FILE), '{"batchId": ');
    assert.equal(await archive.readResult('ns', 'sweep', 'bad'), null);
  });

  test('diskUsage sums file bytes per namespace', async () => {
    const { dir, archive } = await newArchive();
    assert.deepEqual(await archive.diskUsage(), {});
    const put = (rel: string, bytes: number) => {
      const p = path.join(archive.archiveRoot, rel);
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, Buffer.alloc(bytes));
    };
    put('alpha/b1/j1/out.bin', 1000);
    put('alpha/b1/j2/deep/er/x.bin', 24);
    put('alpha/b2/j1/y.bin', 100);
    put('beta/b1/j1/z.bin', 7);
    fs.mkdirSync(path.join(archive.archiveRoot, 'gamma'));
    assert.deepEqual(await archive.diskUsage(), { alpha: 1124, beta: 7, gamma: 0 });
    assert.deepEqual(await new Archive(path.join(dir, 'never-initialised')).diskUsage(), {});
  });

  test('removeBatch removes one batch of a namespace and nothing else', async () => {
    const { archive } = await newArchive();
    await archive.commit(meta('j1', 1, stage(archive, 'B1', 'j1', 1, { 'a.txt': 'a' })));
    const other = { ...meta('j1', 1, stage(archive, 'B2', 'j1', 1, { 'b.txt': 'b' })), batchId: 'B2', batch: 'other' };
    await archive.commit(other);
    await archive.removeBatch('ns', 'sweep');
    assert.equal(fs.existsSync(archive.batchDir('ns', 'sweep')), false);
    assert.deepEqual(await archive.readResult('ns', 'other', 'j1'), other);
    await archive.removeBatch('ns', 'sweep'); // removing twice is fine
  });

  test('discardStaging removes one attempt, one job or a whole batch of staging', async () => {
    const { archive } = await newArchive();
    stage(archive, 'B1', 'j1', 1, { 'a': '1' });
    stage(archive, 'B1', 'j1', 2, { 'a': '2' });
    stage(archive, 'B1', 'j2', 1, { 'a': '3' });
    await archive.discardStaging('B1', 'j1', 1);
    assert.equal(fs.existsSync(archive.stagingDir('B1', 'j1', 1)), false);
    assert.equal(fs.existsSync(archive.stagingDir('B1', 'j1', 2)), true);
    await archive.discardStaging('B1', 'j1');
    assert.equal(fs.existsSync(path.join(archive.stagingRoot, 'B1', 'j1')), false);
    assert.equal(fs.existsSync(archive.stagingDir('B1', 'j2', 1)), true);
    await archive.discardStaging('B1');
    assert.deepEqual(fs.readdirSync(archive.stagingRoot), []);
  });
});
