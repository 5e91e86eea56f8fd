/**
 * The generated SLURM folder's run scripts, executed without SLURM (run-build.sh, then run-job.sh
 * per job): checks the run-time layout everywhere, root or not. slurm-real.test.ts runs the same
 * folder through a real SLURM.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { runSlurm } from '../../head/cli/slurm.ts';
import { checkOutputs, JOB_NAMES, PYTHON, writePythonBatch } from './slurm-fixture.ts';

const sink = (): Writable => new Writable({ write(_c, _e, cb) { cb(); } });

test('run-build.sh and run-job.sh give every job the node layout, build outputs included', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'slurm-scripts-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'out');
  const code = await runSlurm(writePythonBatch(dir), { out, runtime: 'apptainer', python: PYTHON, arrayLimit: '1000' }, sink(), sink());
  assert.equal(code, 0);

  const env = { ...process.env, SLURM_CPUS_PER_TASK: '3' };
  const build = spawnSync(join(out, 'run-build.sh'), { env, encoding: 'utf8' });
  assert.equal(build.status, 0, build.stderr);
  for (const name of JOB_NAMES) {
    const run = spawnSync(join(out, 'run-job.sh'), [name], { env, encoding: 'utf8' });
    assert.equal(run.status, 0, `${name}: ${run.stdout}${run.stderr}`);
    assert.match(run.stdout, new RegExp(`job ${name} exited with code 0`));
  }
  checkOutputs(out);
  const result = JSON.parse(readFileSync(join(out, 'jobs', 'p1', 'distribute_save', 'result.json'), 'utf8')) as { cores: number };
  assert.equal(result.cores, 3, 'cores come from SLURM_CPUS_PER_TASK');

  // A job that fails passes its exit code on (so afterok and sacct see it) and shows its stderr.
  const missing = spawnSync(join(out, 'run-job.sh'), ['no such job'], { env, encoding: 'utf8' });
  assert.equal(missing.status, 2);
});

test('a failing job exits non-zero with its stderr tail in the SLURM log', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'slurm-scripts-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writePythonBatch(dir);
  const out = join(dir, 'out');
  // No build run: run.py cannot open built.txt and fails.
  assert.equal(await runSlurm(join(dir, 'distribute-jobs.yaml'), { out, runtime: 'apptainer', python: PYTHON, arrayLimit: '1000' }, sink(), sink()), 0);
  const run = spawnSync(join(out, 'run-job.sh'), ['p1'], { encoding: 'utf8' });
  assert.equal(run.status, 1);
  assert.match(run.stderr, /built\.txt/);
  assert.match(readFileSync(join(out, 'jobs', 'p1', 'stderr.txt'), 'utf8'), /FileNotFoundError/);
});

test('a shell batch: build command once, job commands with $DISTRIBUTE_CORES from their folders', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'slurm-scripts-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'a.txt'), 'alpha\n');
  writeFileSync(join(dir, 'b.txt'), 'beta\n');
  writeFileSync(join(dir, 'distribute-jobs.yaml'), `meta: { batch_name: sh, namespace: lab, capabilities: [] }
shell:
  initialize:
    build: "echo tool > tool.txt"
  jobs:
    - name: a
      command: "cat tool.txt input/data.txt > distribute_save/out.txt; echo \\"cores=$DISTRIBUTE_CORES\\""
      required_files: [{ path: a.txt, alias: data.txt }]
    - name: "b's"
      command: "cat tool.txt input/data.txt > distribute_save/out.txt"
      required_files: [{ path: b.txt, alias: data.txt }]
`);
  const out = join(dir, 'out');
  assert.equal(await runSlurm(join(dir, 'distribute-jobs.yaml'), { out, runtime: 'apptainer', python: PYTHON, arrayLimit: '1000' }, sink(), sink()), 0);
  const env = { ...process.env, SLURM_CPUS_PER_TASK: '2' };
  assert.equal(spawnSync(join(out, 'run-build.sh'), { env }).status, 0);
  for (const job of ['a', "b's"]) assert.equal(spawnSync(join(out, 'run-job.sh'), [job], { env }).status, 0, job);
  assert.equal(readFileSync(join(out, 'jobs', 'a', 'distribute_save', 'out.txt'), 'utf8'), 'tool\nalpha\n');
  assert.equal(readFileSync(join(out, 'jobs', "b's", 'distribute_save', 'out.txt'), 'utf8'), 'tool\nbeta\n');
  assert.equal(readFileSync(join(out, 'jobs', 'a', 'stdout.txt'), 'utf8'), 'cores=2\n');
});
