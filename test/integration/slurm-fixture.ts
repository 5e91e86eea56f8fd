/**
 * A python batch for the SLURM run tests: a build step that writes a file the jobs read and counts
 * its own runs, an initialize file, and per-job parameter files under one alias. One job carries a
 * SLURM override and a request (2 cores, 256 MiB), so the folder has a job array and a single-job
 * script with --cpus-per-task=2 and --mem=256M.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';

export const JOB_NAMES = ['p1', 'p2', 'p3', 'odd one'];

/** The python the generated scripts call: Debian's (fast) when present, else whatever is on PATH. */
export const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** Writes the config and its files into `dir`; returns the config path. */
export function writePythonBatch(dir: string): string {
  mkdirSync(join(dir, 'params'), { recursive: true });
  writeFileSync(join(dir, 'build.py'), [
    'import os',
    '# runs in the build folder: leave an output the jobs read, and count the runs',
    "with open('build-runs.txt', 'a') as f: f.write('ran\\n')",
    "open('built.txt', 'w').write('built:' + open('input/mesh.txt').read().strip())",
    '',
  ].join('\n'));
  writeFileSync(join(dir, 'run.py'), [
    'import json, os, sys',
    "params = json.load(open('input/params.json'))",
    'print("hello from", os.environ["DISTRIBUTE_JOB"])',
    'result = {',
    "  'x': params['x'], 'cores': int(sys.argv[1]), 'built': open('built.txt').read(),",
    "  'mesh': open('input/mesh.txt').read().strip(), 'job': os.environ['DISTRIBUTE_JOB'],",
    "  'batch': os.environ['DISTRIBUTE_BATCH'],",
    '}',
    "json.dump(result, open('distribute_save/result.json', 'w'))",
    '',
  ].join('\n'));
  writeFileSync(join(dir, 'mesh.txt'), 'mesh-v1\n');
  JOB_NAMES.forEach((_, i) => writeFileSync(join(dir, 'params', `p${i}.json`), JSON.stringify({ x: i * 10 })));
  const jobs = JOB_NAMES.map((name, i) => [
    `    - name: "${name}"`,
    '      file: run.py',
    `      required_files: [{ path: params/p${i}.json, alias: params.json }]`,
    // Its own request: 2 cores (beating the batch-wide cpus_per_task: 1) and 256 MiB.
    ...(name === 'odd one' ? ['      slurm: { time: "00:05:00" }', '      request: { cpus: 2, memory_gb: 0.25 }'] : []),
  ].join('\n'));
  const config = join(dir, 'distribute-jobs.yaml');
  writeFileSync(config, `meta:
  batch_name: slurm_e2e
  namespace: tests
  capabilities: [python3]
python:
  initialize:
    build_file: build.py
    required_files: [mesh.txt]
  jobs:
${jobs.join('\n')}
slurm:
  cpus_per_task: 1
  time: "00:10:00"
`);
  return config;
}

/**
 * Asserts every job's results and that the build step ran exactly once; `onSlurm`: the jobs ran
 * under SLURM, so the job with a request got exactly its 2 cores.
 */
export function checkOutputs(out: string, onSlurm = false): void {
  assert.equal(readFileSync(join(out, 'build', 'build-runs.txt'), 'utf8'), 'ran\n', 'the build step ran exactly once');
  JOB_NAMES.forEach((name, i) => {
    const jobDir = join(out, 'jobs', name);
    const result = JSON.parse(readFileSync(join(jobDir, 'distribute_save', 'result.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(result.x, i * 10, `${name} read its own params.json`);
    assert.equal(result.built, 'built:mesh-v1', `${name} read the build output`);
    assert.equal(result.mesh, 'mesh-v1');
    assert.equal(result.job, name);
    assert.equal(result.batch, 'slurm_e2e');
    if (name === 'odd one' && onSlurm) assert.equal(result.cores, 2, 'the job with a request of 2 cores got them (--cpus-per-task=2)');
    else assert.ok(Number.isInteger(result.cores) && (result.cores as number) >= 1, `${name} got a core count`);
    assert.equal(readFileSync(join(jobDir, 'stdout.txt'), 'utf8'), `hello from ${name}\n`);
  });
}
