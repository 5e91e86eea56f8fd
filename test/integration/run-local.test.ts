/**
 * `distribute run`: a batch run locally without a head gives the same results folder shape as a
 * pull from the head (`<out>/<namespace>/<batch>/<job>/…` + `_distribute/…`), builds once, and
 * exits 0 only when every job succeeded.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { BIN, cli, listFiles, PYTHON, ROOT, tempDir, waitFor } from '../helpers/cluster.ts';
import { writeShellConfig } from './shell-batches.ts';

const E2E = path.join(ROOT, 'test/fixtures/e2e/distribute-jobs.yaml');

test('the e2e python batch runs locally with the head\'s archive shape; one failing job makes exit 1', async () => {
  const out = tempDir('run-out');
  const r = await cli(['run', E2E, '--out', out, '--python', PYTHON, '--cores', '3']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /6 of 7 jobs succeeded/);
  assert.match(r.stdout, /\[job_2\] stdout of job n=2 cores=3/, 'job output is echoed with the job name');
  assert.match(r.stderr, /job_7: failed with exit code 3/);
  assert.deepEqual(fs.readdirSync(out), ['tests']);
  assert.deepEqual(fs.readdirSync(path.join(out, 'tests')), ['e2e']);
  for (let i = 1; i <= 7; i++) {
    const dir = path.join(out, 'tests/e2e', `job_${i}`);
    assert.deepEqual(listFiles(dir), ['_distribute/result.json', '_distribute/stderr.log', '_distribute/stdout.log', 'deep/er/data.bin', 'result.txt']);
    const expected = Buffer.from(Array.from({ length: 5000 + i }, (_, k) => (k * i) % 256));
    assert.ok(fs.readFileSync(path.join(dir, 'deep/er/data.bin')).equals(expected));
    assert.equal(fs.readFileSync(path.join(dir, 'result.txt'), 'utf8'), `common input n=${i} square=${i * i} builds=1\n`, 'the build ran once');
    assert.equal(fs.readFileSync(path.join(dir, '_distribute/stdout.log'), 'utf8'), `stdout of job n=${i} cores=3\n`);
    assert.equal(fs.readFileSync(path.join(dir, '_distribute/stderr.log'), 'utf8'), `stderr of job n=${i}\n`);
    const meta = JSON.parse(fs.readFileSync(path.join(dir, '_distribute/result.json'), 'utf8'));
    assert.equal(meta.job, `job_${i}`);
    assert.equal(meta.namespace, 'tests');
    assert.deepEqual(meta.result, i === 7 ? { outcome: 'failed', exitCode: 3 } : { outcome: 'succeeded', exitCode: 0 });
    assert.deepEqual(meta.files.map((f: any) => f.path).sort(), ['_distribute/stderr.log', '_distribute/stdout.log', 'deep/er/data.bin', 'result.txt']);
  }
});

test('a shell batch where all jobs succeed exits 0; a rerun replaces job folders; links out of distribute_save are skipped', async () => {
  const cfg = writeShellConfig('local', 'shells', [
    { name: 'a', command: 'mkdir -p distribute_save/n/m && cp input/w.txt distribute_save/n/m/w.txt && echo "$DISTRIBUTE_JOB $DISTRIBUTE_CORES"' },
    { name: 'b', command: 'ln -s /etc/passwd distribute_save/pw && cat built.txt > distribute_save/built.txt' },
  ], { build: 'echo built-once >> built.txt', files: { 'w.txt': 'words here\n' } });
  const out = tempDir('run-shell');
  const r = await cli(['run', cfg, '--out', out, '--cores', '2', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.ok, true);
  assert.deepEqual(report.jobs.map((j: any) => [j.job, j.result.outcome]), [['a', 'succeeded'], ['b', 'succeeded']]);
  const base = path.join(out, 'local/shells');
  assert.equal(fs.readFileSync(path.join(base, 'a/n/m/w.txt'), 'utf8'), 'words here\n');
  assert.equal(fs.readFileSync(path.join(base, 'a/_distribute/stdout.log'), 'utf8'), 'a 2\n');
  assert.equal(fs.readFileSync(path.join(base, 'b/built.txt'), 'utf8'), 'built-once\n');
  assert.ok(!fs.existsSync(path.join(base, 'b/pw')));
  assert.match(fs.readFileSync(path.join(base, 'b/_distribute/stderr.log'), 'utf8'), /not archived: pw \(link points outside distribute_save\)/);

  fs.writeFileSync(path.join(base, 'a/stale.txt'), 'from an older run');
  const again = await cli(['run', cfg, '--out', out, '--job', 'a', '--quiet']);
  assert.equal(again.code, 0, again.stderr);
  assert.ok(!fs.existsSync(path.join(base, 'a/stale.txt')), 'the job folder is replaced, not merged');
  assert.deepEqual(listFiles(out).filter((f) => f.includes('.partial')), []);
});

test('a failing build runs no job and exits 1; a bad config or option exits 2', async () => {
  const cfg = writeShellConfig('local', 'nobuild', [{ name: 'a', command: 'true' }], { build: 'echo broken >&2; exit 5' });
  const out = tempDir('run-build');
  const r = await cli(['run', cfg, '--out', out]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /build: failed \(failed with exit code 5\)/);
  assert.match(r.stderr, /broken/);
  assert.deepEqual(listFiles(out), []);

  const bad = path.join(tempDir('bad-cfg'), 'distribute-jobs.yaml');
  fs.writeFileSync(bad, 'meta:\n  batch_name: x\n');
  assert.equal((await cli(['run', bad])).code, 2);
  assert.equal((await cli(['run', cfg, '--job', 'nope'])).code, 2);
  assert.equal((await cli(['run', cfg, '--cores', 'zero'])).code, 2);
});

test('SIGTERM stops the running job\'s process tree and exits 130', async () => {
  const marker = `run-local-sleeper-${process.pid}`;
  const cfg = writeShellConfig('local', 'slow', [{ name: 's', command: `sh -c 'sleep 30; echo ${marker}' & wait` }]);
  const child = spawn(process.execPath, [BIN, 'run', cfg, '--out', tempDir('run-slow')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const alive = () => fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).some((p) => {
    try {
      return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(marker);
    } catch {
      return false;
    }
  });
  await waitFor(alive, 15_000, () => `job never started: ${err}`);
  child.kill('SIGTERM');
  assert.equal(await exited, 130, err);
  assert.equal(alive(), false, 'no process of the job is left');
});
