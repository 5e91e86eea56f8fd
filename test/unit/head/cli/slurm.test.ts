/** `distribute slurm` end to end through runSlurm(): real config file, real folder on disk. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { runSlurm } from '../../../../head/cli/slurm.ts';

function capture(): { stream: Writable; text: () => string } {
  let buf = '';
  const stream = new Writable({ write(chunk, _enc, cb) { buf += String(chunk); cb(); } });
  return { stream, text: () => buf };
}

function fixture(): { dir: string; config: string } {
  const dir = mkdtempSync(join(tmpdir(), 'slurm-cli-'));
  writeFileSync(join(dir, 'build.py'), 'print("build")\n');
  writeFileSync(join(dir, 'run.py'), 'print("run")\n');
  writeFileSync(join(dir, 'a.json'), '{"a": 1}\n');
  writeFileSync(join(dir, 'distribute-jobs.yaml'), `meta:
  batch_name: cli_batch
  namespace: lab
  capabilities: [python3]
python:
  initialize:
    build_file: build.py
  jobs:
    - name: one
      file: run.py
      required_files: [{ path: a.json, alias: params.json }]
    - name: two
      file: run.py
`);
  return { dir, config: join(dir, 'distribute-jobs.yaml') };
}

const base = { runtime: 'apptainer' as const, python: 'python3', arrayLimit: '1000' };

test('writes the folder, copying inputs by alias with their content and executable scripts', async () => {
  const { dir, config } = fixture();
  const out = join(dir, 'out');
  const o = capture();
  const code = await runSlurm(config, { ...base, out }, o.stream, capture().stream);
  assert.equal(code, 0);
  assert.match(o.text(), /2 job\(s\) in 1 sbatch script\(s\) after a build step/);
  assert.equal(readFileSync(join(out, 'jobs/one/input/params.json'), 'utf8'), '{"a": 1}\n');
  assert.equal(readFileSync(join(out, 'build/build.py'), 'utf8'), 'print("build")\n');
  assert.equal(statSync(join(out, 'submit.sh')).mode & 0o777, 0o755);
  assert.equal(statSync(join(out, 'jobs/two/run.py')).mode & 0o777, 0o644);
});

test('refuses a non-empty folder with exit 2 unless --force', async () => {
  const { dir, config } = fixture();
  const out = join(dir, 'out');
  mkdirSync(out);
  writeFileSync(join(out, 'keep.txt'), 'mine');
  const e = capture();
  assert.equal(await runSlurm(config, { ...base, out }, capture().stream, e.stream), 2);
  assert.match(e.text(), /not empty.*--force/);
  assert.equal(await runSlurm(config, { ...base, out, force: true }, capture().stream, capture().stream), 0);
  assert.equal(readFileSync(join(out, 'keep.txt'), 'utf8'), 'mine', '--force keeps files it does not write');
  assert.ok(statSync(join(out, 'submit.sh')).isFile());
});

test('--json prints the plan and every file', async () => {
  const { dir, config } = fixture();
  const o = capture();
  assert.equal(await runSlurm(config, { ...base, out: join(dir, 'out'), json: true, upload: 'u@h:p' }, o.stream, capture().stream), 0);
  const plan = JSON.parse(o.text()) as { build: string; scripts: Array<{ jobs: string[] }>; files: Array<{ path: string; copiedFrom?: string }> };
  assert.equal(plan.build, 'build.sbatch');
  assert.deepEqual(plan.scripts[0].jobs, ['one', 'two']);
  assert.equal(plan.files.find((f) => f.path === 'jobs/one/input/params.json')?.copiedFrom, join(dir, 'a.json'));
  assert.ok(plan.files.some((f) => f.path === 'upload.sh'));
});

test('an invalid config, a bad --upload or --array-limit exits 2 and writes nothing', async () => {
  const { dir, config } = fixture();
  writeFileSync(join(dir, 'bad.yaml'), 'meta: {batch_name: x}\n');
  const e = capture();
  assert.equal(await runSlurm(join(dir, 'bad.yaml'), { ...base, out: join(dir, 'o1') }, capture().stream, e.stream), 2);
  assert.match(e.text(), /bad\.yaml/);
  assert.equal(await runSlurm(config, { ...base, out: join(dir, 'o2'), upload: 'nocolon' }, capture().stream, capture().stream), 2);
  assert.equal(await runSlurm(config, { ...base, out: join(dir, 'o3'), arrayLimit: 'x' }, capture().stream, capture().stream), 2);
  assert.throws(() => statSync(join(dir, 'o2')), /ENOENT/);
});
