import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { Archive, META_DIR, RESULT_FILE, type JobResultMeta } from '../../../../head/archive/archive.ts';
import { INLINE_RESULT_BYTES, type ResultFile } from '../../../../shared/protocol/messages.ts';

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

/** Resolves once `p` no longer exists (the archive removes an emptied batch staging folder in the background). */
async function untilGone(p: string): Promise<void> {
  for (let i = 0; i < 500 && fs.existsSync(p); i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(fs.existsSync(p), false, `${p} is still there`);
}

/** Write `files` (path → content) into the staging folder of a run, through stagingFile. */
function stage(archive: Archive, batchId: string, runId: string, files: Record<string, string>): ResultFile[] {
  return Object.entries(files).map(([rel, content]) => {
    const p = archive.stagingFile(batchId, runId, rel);
    assert.ok(p.ok && p.abs, `stagingFile refused ${rel}`);
    fs.mkdirSync(path.dirname(p.abs), { recursive: true });
    fs.writeFileSync(p.abs, content);
    return { path: rel, size: Buffer.byteLength(content), sha256: sha(content) };
  });
}

/** The result.json of run `<job>-run-<attempt>` of `job`. */
function meta(job: string, attempt: number, files: ResultFile[]): JobResultMeta & { runId: string } {
  return {
    batchId: 'B1', namespace: 'ns', batch: 'sweep', job, runId: `${job}-run-${attempt}`, attempt, node: 'ws1',
    result: { outcome: 'succeeded', exitCode: 0 }, startedAt: 10, endedAt: 20, runMs: 10,
    files, bytes: files.reduce((s, f) => s + f.size, 0),
  };
}

describe('Archive', () => {
  test('init creates archive, staging and inputs folders; paths follow the layout', async () => {
    const { dir, archive } = await newArchive();
    for (const d of ['archive', 'staging', 'inputs']) assert.ok(fs.statSync(path.join(dir, d)).isDirectory());
    assert.equal(archive.jobDir('ns', 'sweep', 'j1'), path.join(dir, 'archive', 'ns', 'sweep', 'j1'));
    assert.equal(archive.stagingDir('B1', 'j1-run-2'), path.join(dir, 'staging', 'B1', 'j1-run-2'));
    assert.equal(archive.inputPath('ab'.repeat(32)), path.join(dir, 'inputs', 'ab'.repeat(32)));
    assert.equal(await archive.hasInput('ab'.repeat(32)), false);
    fs.writeFileSync(archive.inputPath('ab'.repeat(32)), 'x');
    assert.equal(await archive.hasInput('ab'.repeat(32)), true);
  });

  test('commit moves staging into <archive>/<ns>/<batch>/<job>/ with result.json, and leaves nothing in staging', async () => {
    const { archive } = await newArchive();
    const files = stage(archive, 'B1', 'j1-run-1', { 'out/a.txt': 'alpha', [`${META_DIR}/stdout.log`]: 'hello\n' });
    const m = meta('j1', 1, files);
    await archive.commit(m);
    const jobDir = archive.jobDir('ns', 'sweep', 'j1');
    assert.equal(fs.readFileSync(path.join(jobDir, 'out/a.txt'), 'utf8'), 'alpha');
    assert.equal(fs.readFileSync(path.join(jobDir, META_DIR, 'stdout.log'), 'utf8'), 'hello\n');
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(jobDir, RESULT_FILE), 'utf8')), m);
    assert.deepEqual(await archive.readResult('ns', 'sweep', 'j1'), m);
    assert.equal(fs.existsSync(archive.stagingDir('B1', 'j1-run-1')), false, 'staging moved away');
    assert.deepEqual(fs.readdirSync(path.join(archive.stagingRoot, 'B1')), [], 'no folder per job to remove; the batch\'s stays until the batch ends');
    assert.deepEqual(fs.readdirSync(path.join(jobDir, META_DIR)).sort(), ['result.json', 'stdout.log'], 'no temp file left');
  });

  test('commit of a later run replaces the earlier folder of the same job entirely', async () => {
    const { archive } = await newArchive();
    await archive.commit(meta('j1', 1, stage(archive, 'B1', 'j1-run-1', { 'old.txt': 'first run' })));
    await archive.commit(meta('j2', 1, stage(archive, 'B1', 'j2-run-1', { 'other.txt': 'x' })));
    const m2 = meta('j1', 2, stage(archive, 'B1', 'j1-run-2', { 'new.txt': 'second run' }));
    await archive.commit(m2);
    const jobDir = archive.jobDir('ns', 'sweep', 'j1');
    assert.equal(fs.existsSync(path.join(jobDir, 'old.txt')), false, 'files of the earlier attempt are gone');
    assert.equal(fs.readFileSync(path.join(jobDir, 'new.txt'), 'utf8'), 'second run');
    assert.equal((await archive.readResult('ns', 'sweep', 'j1'))?.attempt, 2);
    assert.equal((await archive.readResult('ns', 'sweep', 'j2'))?.attempt, 1, 'the other job is untouched');
  });

  test('a commit cut short after writing result.json into staging is redone whole by the next commit', async () => {
    const { archive } = await newArchive();
    const files = stage(archive, 'B1', 'j1-run-1', { 'out.txt': 'data' });
    // What a head killed between writing result.json and the rename leaves: a torn result.json in
    // staging, nothing in the archive.
    fs.mkdirSync(path.join(archive.stagingDir('B1', 'j1-run-1'), META_DIR), { recursive: true });
    fs.writeFileSync(path.join(archive.stagingDir('B1', 'j1-run-1'), RESULT_FILE), '{"batchId":"B1","na');
    assert.equal(await archive.readResult('ns', 'sweep', 'j1'), null, 'staging is never read as a result');
    const m = meta('j1', 1, files);
    await archive.commit(m);
    assert.deepEqual(await archive.readResult('ns', 'sweep', 'j1'), m);
    assert.equal(fs.readFileSync(path.join(archive.jobDir('ns', 'sweep', 'j1'), 'out.txt'), 'utf8'), 'data');
  });

  test('commit creates the archive folders of a new namespace and batch', async () => {
    const { dir, archive } = await newArchive();
    fs.rmSync(path.join(dir, 'archive'), { recursive: true });
    const m = meta('j1', 1, stage(archive, 'B1', 'j1-run-1', { 'a.txt': 'a' }));
    await archive.commit(m);
    assert.deepEqual(await archive.readResult('ns', 'sweep', 'j1'), m);
  });

  test('commit with nothing staged still archives result.json (a job that saved nothing)', async () => {
    const { archive } = await newArchive();
    const m = meta('empty', 1, []);
    await archive.commit(m);
    assert.deepEqual(fs.readdirSync(archive.jobDir('ns', 'sweep', 'empty')), [META_DIR]);
    assert.deepEqual(await archive.readResult('ns', 'sweep', 'empty'), m);
  });

  test('stageInline writes the listed files whose bytes match into staging, refuses the rest, and a commit archives them without reading them again', async () => {
    const { archive } = await newArchive();
    const listed = (rel: string, content: string): ResultFile => ({ path: rel, size: Buffer.byteLength(content), sha256: sha(content) });
    const b64 = (content: string) => Buffer.from(content).toString('base64');
    const files = [listed(`${META_DIR}/stdout.log`, 'out\n'), listed(`${META_DIR}/stderr.log`, ''), listed('deep/r.txt', 'result'), listed('lied.txt', 'promised')];
    const { refused, fresh } = archive.stageInline('B1', 'j1-run-1', files, [
      { path: `${META_DIR}/stdout.log`, data: b64('out\n') },
      { path: `${META_DIR}/stderr.log`, data: '' },
      { path: 'deep/r.txt', data: b64('result') },
      { path: 'lied.txt', data: b64('something else') },
      { path: 'unlisted.txt', data: b64('x') },
      { path: '../escape.txt', data: b64('x') },
    ]);
    assert.deepEqual(refused, ['lied.txt', 'unlisted.txt', '../escape.txt']);
    assert.deepEqual([...fresh ?? []], [`${META_DIR}/stdout.log`, `${META_DIR}/stderr.log`, 'deep/r.txt'], 'it made the run\'s folder and says what it wrote');
    const staging = archive.stagingDir('B1', 'j1-run-1');
    assert.equal(fs.readFileSync(path.join(staging, 'deep/r.txt'), 'utf8'), 'result');
    assert.equal(fs.existsSync(path.join(staging, 'lied.txt')), false);
    assert.equal(fs.existsSync(path.join(staging, '..', 'escape.txt')), false);
    const checked = await archive.checkStaged('B1', 'j1-run-1', files, fresh);
    assert.deepEqual(checked, { missing: ['lied.txt'], mismatched: [] }, 'the refused file is asked for');
    assert.deepEqual(await archive.checkStaged('B1', 'j1-run-1', files), checked, 'the same verdict with every file checked on disk');
    const good = files.filter((f) => f.path !== 'lied.txt');
    await archive.commit(meta('j1', 1, good), fresh);
    const job = archive.jobDir('ns', 'sweep', 'j1');
    assert.equal(fs.readFileSync(path.join(job, META_DIR, 'stdout.log'), 'utf8'), 'out\n');
    assert.equal(fs.readFileSync(path.join(job, META_DIR, 'stderr.log'), 'utf8'), '');
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(job, RESULT_FILE), 'utf8')).files, good);
    assert.deepEqual(fs.readdirSync(path.join(archive.stagingRoot, 'B1')), []);
  });

  test('stageInline refuses bytes past the allowance per report, even when they match', () => {
    const big = 'x'.repeat(INLINE_RESULT_BYTES - 10);
    const files = [{ path: 'a.txt', size: big.length, sha256: sha(big) }, { path: 'b.txt', size: 11, sha256: sha('0123456789!') }];
    const { archive } = { archive: new Archive(fs.mkdtempSync(path.join(os.tmpdir(), 'archive-'))) };
    dirs.push(path.dirname(archive.archiveRoot));
    const { refused } = archive.stageInline('B1', 'j1-run-1', files, [
      { path: 'a.txt', data: Buffer.from(big).toString('base64') }, { path: 'b.txt', data: Buffer.from('0123456789!').toString('base64') },
    ]);
    assert.deepEqual(refused, ['b.txt']);
  });

  test('stageInline into a run folder that was there already (uploads, an earlier report) is checked and pruned as any staging', async () => {
    const { archive } = await newArchive();
    const log = { path: `${META_DIR}/stdout.log`, size: 3, sha256: sha('ok\n') };
    const [up] = stage(archive, 'B1', 'j1-run-1', { 'big.bin': 'uploaded' });
    stage(archive, 'B1', 'j1-run-1', { '.big.bin.0123.partial': 'an upload still streaming' });
    const files = [log, up];
    const { refused, fresh } = archive.stageInline('B1', 'j1-run-1', files, [{ path: log.path, data: Buffer.from('ok\n').toString('base64') }]);
    assert.deepEqual(refused, []);
    assert.equal(fresh, null, 'not a folder this report made');
    fs.writeFileSync(archive.stagingFile('B1', 'j1-run-1', 'big.bin').abs as string, 'changed!'); // same size, other bytes
    assert.deepEqual(await archive.checkStaged('B1', 'j1-run-1', files, fresh), { missing: ['big.bin'], mismatched: ['big.bin'] });
    stage(archive, 'B1', 'j1-run-1', { 'big.bin': 'uploaded' });
    assert.deepEqual((await archive.checkStaged('B1', 'j1-run-1', files, fresh)).missing, []);
    await archive.commit(meta('j1', 1, files), fresh);
    const job = archive.jobDir('ns', 'sweep', 'j1');
    assert.deepEqual(fs.readdirSync(job).sort(), [META_DIR, 'big.bin'], 'the unlisted partial file was dropped');
    assert.deepEqual(fs.readdirSync(path.join(job, META_DIR)).sort(), ['result.json', 'stdout.log']);
  });

  test('checkStaged reports absent, wrong-size, wrong-sha256 and unsafe files, and deletes the ones that differ', async () => {
    const { archive } = await newArchive();
    const [good, short, forged] = stage(archive, 'B1', 'j1-run-3', { 'good.bin': '12345', 'short.bin': '12', 'forged.bin': 'evil!' });
    const files: ResultFile[] = [
      good,
      { ...short, size: 10 },
      // Same size as what is staged, but the run reported another content.
      { ...forged, sha256: sha('good!') },
      { path: 'absent.bin', size: 1, sha256: sha('a') },
      { path: '../escape.bin', size: 1, sha256: sha('a') },
      { path: 'out', size: 0, sha256: sha('') },
    ];
    fs.mkdirSync(path.join(archive.stagingDir('B1', 'j1-run-3'), 'out'));
    const checked = await archive.checkStaged('B1', 'j1-run-3', files);
    assert.deepEqual(checked.missing, ['short.bin', 'forged.bin', 'absent.bin', '../escape.bin', 'out']);
    assert.deepEqual(checked.mismatched, ['short.bin', 'forged.bin', 'out']);
    assert.equal(fs.existsSync(archive.stagingFile('B1', 'j1-run-3', 'forged.bin').abs as string), false, 'a differing file is deleted, never archived');
    assert.deepEqual(await archive.checkStaged('B1', 'j1-run-3', [good]), { missing: [], mismatched: [] });
    assert.deepEqual((await archive.checkStaged('B1', 'j1-run-4', [good])).missing, ['good.bin'], 'another run has its own staging');
  });

  test('checkStaged uses the digest noted at upload, and hashes again once the file changed', async () => {
    const { archive } = await newArchive();
    const [f] = stage(archive, 'B1', 'j1-run-1', { 'a.bin': 'aaaa' });
    const abs = archive.stagingFile('B1', 'j1-run-1', 'a.bin').abs as string;
    await archive.noteReceived(abs, f.sha256);
    assert.deepEqual((await archive.checkStaged('B1', 'j1-run-1', [f])).missing, []);
    fs.writeFileSync(abs, 'bbbb'); // same size, other content: the noted digest no longer counts
    fs.utimesSync(abs, new Date(), new Date(Date.now() + 5000));
    assert.deepEqual((await archive.checkStaged('B1', 'j1-run-1', [f])).mismatched, ['a.bin']);
  });

  test('commit archives only the files the run listed', async () => {
    const { archive } = await newArchive();
    const files = stage(archive, 'B1', 'j1-run-1', { 'a.txt': 'a' });
    stage(archive, 'B1', 'j1-run-1', { 'extra.txt': 'not reported', '.a.txt.0123.partial': 'half' });
    await archive.commit(meta('j1', 1, files));
    assert.deepEqual(fs.readdirSync(archive.jobDir('ns', 'sweep', 'j1')).sort(), [META_DIR, 'a.txt']);
  });

  test('stagingFile refuses unsafe paths and keeps safe ones inside the attempt folder', async () => {
    const { archive } = await newArchive();
    for (const bad of ['../x', 'a/../../x', '/etc/passwd', '', 'a//b', '..', 'a/./b']) {
      const p = archive.stagingFile('B1', 'j1-run-1', bad);
      assert.equal(p.ok, false, `'${bad}' must be refused`);
      assert.equal(p.abs, undefined);
    }
    const p = archive.stagingFile('B1', 'j1-run-1', 'results/run 1/out.csv');
    assert.ok(p.ok);
    assert.equal(p.abs, path.join(archive.stagingDir('B1', 'j1-run-1'), 'results', 'run 1', 'out.csv'));
  });

  test('readResult is null for a missing job and for an unreadable result.json', async () => {
    const { archive } = await newArchive();
    assert.equal(await archive.readResult('ns', 'sweep', 'nope'), null);
    fs.mkdirSync(path.join(archive.jobDir('ns', 'sweep', 'bad'), META_DIR), { recursive: true });
    fs.writeFileSync(path.join(archive.jobDir('ns', 'sweep', 'bad'), RESULT_FILE), '{"batchId": ');
    assert.equal(await archive.readResult('ns', 'sweep', 'bad'), null);
  });

  test('measureDiskUsage sums file bytes per namespace', async () => {
    const { dir, archive } = await newArchive();
    assert.deepEqual(await archive.measureDiskUsage(), {});
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
    assert.deepEqual(await archive.measureDiskUsage(), { alpha: 1124, beta: 7, gamma: 0 });
    assert.deepEqual(await new Archive(path.join(dir, 'never-initialised')).diskUsage(), {});
  });

  test('removeBatch removes one batch of a namespace and nothing else', async () => {
    const { archive } = await newArchive();
    await archive.commit(meta('j1', 1, stage(archive, 'B1', 'j1-run-1', { 'a.txt': 'a' })));
    const other = { ...meta('j1', 1, stage(archive, 'B2', 'j1-run-1', { 'b.txt': 'b' })), batchId: 'B2', batch: 'other' };
    await archive.commit(other);
    await archive.removeBatch('ns', 'sweep');
    assert.equal(fs.existsSync(archive.batchDir('ns', 'sweep')), false);
    assert.deepEqual(await archive.readResult('ns', 'other', 'j1'), other);
    await archive.removeBatch('ns', 'sweep'); // removing twice is fine
  });

  test('discardStaging removes one run (and the batch folder it empties) or a whole batch of staging', async () => {
    const { archive } = await newArchive();
    stage(archive, 'B1', 'j1-run-1', { 'a': '1' });
    stage(archive, 'B1', 'j1-run-2', { 'a': '2' });
    await archive.discardStaging('B1', 'j1-run-1');
    assert.equal(fs.existsSync(archive.stagingDir('B1', 'j1-run-1')), false);
    assert.equal(fs.existsSync(archive.stagingDir('B1', 'j1-run-2')), true);
    await archive.discardStaging('B1', 'j1-run-2');
    await untilGone(path.join(archive.stagingRoot, 'B1'));
    assert.deepEqual(fs.readdirSync(archive.stagingRoot), [], 'the emptied batch folder went too');
    stage(archive, 'B1', 'j3-run-1', { 'a': '4' });
    await archive.discardStaging('B1');
    assert.deepEqual(fs.readdirSync(archive.stagingRoot), []);
  });

  test('a run staged in the layout before 2026-11-30 (a folder per job) moves to its own folder', async () => {
    const { archive } = await newArchive();
    const old = path.join(archive.stagingRoot, 'B1', 'j1', 'r-old');
    fs.mkdirSync(old, { recursive: true });
    fs.writeFileSync(path.join(old, 'out.txt'), 'uploaded before the upgrade');
    assert.deepEqual(await archive.stagedNames('B1'), ['j1']);
    assert.deepEqual(await archive.stagedNames('B1', 'j1'), ['r-old']);
    assert.equal(await archive.adoptLegacyStaging('B1', 'j1', 'r-old'), true);
    assert.equal(fs.readFileSync(path.join(archive.stagingDir('B1', 'r-old'), 'out.txt'), 'utf8'), 'uploaded before the upgrade');
    assert.equal(await archive.adoptLegacyStaging('B1', 'j1', 'r-gone'), false);
    await archive.discardStaging('B1', 'j1');
    assert.deepEqual(fs.readdirSync(path.join(archive.stagingRoot, 'B1')), ['r-old']);
  });
});
