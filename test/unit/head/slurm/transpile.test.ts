import { test } from 'node:test';
import assert from 'node:assert/strict';
import { transpileSlurm, type OutFile } from '../../../../head/slurm/transpile.ts';
import type { BatchConfig } from '../../../../shared/config/types.ts';
import { meta, ref } from './cases.ts';

function pythonBatch(jobs: number, extra: Partial<BatchConfig> = {}): BatchConfig {
  return {
    source: '/cfg/distribute-jobs.yaml',
    meta: meta('b'),
    section: {
      kind: 'python',
      initialize: { required_files: [ref('shared.txt', 'params.json')] },
      jobs: Array.from({ length: jobs }, (_, i) => ({ name: `j${i}`, file: ref('run.py'), required_files: [ref(`p${i}.json`, 'params.json')] })),
    },
    ...extra,
  };
}

function byPath(files: OutFile[]): Map<string, OutFile> {
  return new Map(files.map((f) => [f.path, f]));
}

test('a job file with the same alias as an initialize file replaces it in that job only', () => {
  const r = transpileSlurm(pythonBatch(2));
  assert.ok(r.ok);
  const files = byPath(r.plan.files);
  assert.deepEqual(files.get('jobs/j0/input/params.json'), { path: 'jobs/j0/input/params.json', mode: 0o644, copyFrom: '/cfg/p0.json' });
  assert.deepEqual(files.get('build/input/params.json'), { path: 'build/input/params.json', mode: 0o644, copyFrom: '/cfg/shared.txt' });
  assert.equal(r.plan.files.filter((f) => f.path === 'jobs/j1/input/params.json').length, 1, 'paths are unique');
});

test('one job array for jobs sharing settings; no build script without a build step', () => {
  const r = transpileSlurm(pythonBatch(3));
  assert.ok(r.ok);
  assert.equal(r.plan.build, null);
  assert.deepEqual(r.plan.scripts.map((s) => [s.file, s.array, s.jobs]), [['jobs-1.sbatch', true, ['j0', 'j1', 'j2']]]);
  const files = byPath(r.plan.files);
  assert.ok(!files.has('build.sbatch') && !files.has('run-build.sh'));
  const submit = files.get('submit.sh') as { content: string };
  assert.doesNotMatch(submit.content, /dependency/);
  assert.equal((files.get('jobs-1.txt') as { content: string }).content, 'j0\nj1\nj2\n');
  assert.match((files.get('jobs-1.sbatch') as { content: string }).content, /#SBATCH --array=0-2\n/);
});

test('arrays larger than arrayLimit are split into several scripts', () => {
  const r = transpileSlurm(pythonBatch(5), { arrayLimit: 2 });
  assert.ok(r.ok);
  assert.deepEqual(r.plan.scripts.map((s) => s.jobs), [['j0', 'j1'], ['j2', 'j3'], ['j4']]);
  assert.deepEqual(r.plan.scripts.map((s) => s.array), [true, true, false]);
  // a lone job is a plain job named after itself; arrays are named after the batch
  assert.equal(r.plan.scripts[2].settings.job_name, 'j4');
  assert.equal(r.plan.scripts[0].settings.job_name, 'b');
});

test('per-job overrides win over batch-wide settings and defaults', () => {
  const config = pythonBatch(2, { slurm: { ntasks: 2, time: '01:00:00', job_name: 'sweep' } });
  if (config.section.kind !== 'python') throw new Error('unreachable');
  config.section.jobs[1].slurm = { time: '05:00:00' };
  const r = transpileSlurm(config);
  assert.ok(r.ok);
  assert.deepEqual(r.plan.scripts.map((s) => s.settings), [
    { job_name: 'sweep', output: 'logs/%x-%j.out', nodes: 1, ntasks: 2, time: '01:00:00' },
    { job_name: 'sweep', output: 'logs/%x-%j.out', nodes: 1, ntasks: 2, time: '05:00:00' },
  ]);
});

test('problems are reported, not thrown', () => {
  const config = pythonBatch(2, { slurm: { partition: 'x\necho pwned' } });
  if (config.section.kind !== 'python') throw new Error('unreachable');
  config.section.jobs[1].name = 'j0';
  config.section.jobs[0].required_files.push(ref('x', '../escape'));
  const r = transpileSlurm(config, { upload: 'no-colon-here', arrayLimit: 0 });
  assert.ok(!r.ok);
  const paths = r.problems.map((p) => p.path).sort();
  assert.deepEqual(paths, ['', '', 'python.jobs[0].required_files[1].alias', 'python.jobs[1].name', 'slurm']);
});

test('apptainer job names that would break --bind are refused', () => {
  const r = transpileSlurm({
    source: '/cfg/c.yaml',
    meta: meta('app'),
    section: { kind: 'apptainer', initialize: { sif: ref('i.sif'), required_files: [], required_mounts: [] }, jobs: [{ name: 'a,b', required_files: [] }] },
  });
  assert.ok(!r.ok);
  assert.match(r.problems[0].message, /','/);
});

test('a batch with no jobs is a problem, not a crash', () => {
  const config = pythonBatch(0);
  const r = transpileSlurm(config);
  assert.ok(!r.ok);
  assert.match(r.problems[0].message, /at least one job/);
});

test('requests and resources become sbatch options; the config\'s slurm: keys win; nothing is dropped silently', () => {
  const config = pythonBatch(3, {});
  config.meta = { ...config.meta, resources: { cpus: 8, memory_gb: 16, gpus: 1, gpu_memory_gb: 20 }, request: { cpus: 2, memory_gb: 3.5 } };
  const jobs = config.section.jobs as Array<{ name: string; request?: object; slurm?: object }>;
  jobs[1].request = { cpus: 4, gpus: 2 };
  jobs[2].slurm = { mem_per_cpu: '1G', gpus: 'a100:1', constraint: 'avx512', exclusive: true };
  const r = transpileSlurm(config);
  assert.ok(r.ok);
  const sbatch = (job: string) => {
    const script = r.plan.scripts.find((s) => s.jobs.includes(job))!;
    return (byPath(r.plan.files).get(script.file) as { content: string }).content.split('\n').filter((l) => l.startsWith('#SBATCH'));
  };
  const opts = (job: string) => sbatch(job).filter((l) => /cpus-per-task|mincpus|--mem|gres|gpus|constraint|exclusive/.test(l));
  assert.deepEqual(opts('j0'), ['#SBATCH --cpus-per-task=2', '#SBATCH --mincpus=8', '#SBATCH --mem=3584M', '#SBATCH --gres=gpu:1']);
  // Key by key: j1 keeps the batch's 3.5 GiB and asks for its own cores and GPUs.
  assert.deepEqual(opts('j1'), ['#SBATCH --cpus-per-task=4', '#SBATCH --mincpus=8', '#SBATCH --mem=3584M', '#SBATCH --gres=gpu:2']);
  // mem_per_cpu replaces the derived --mem, gpus the derived --gres.
  assert.deepEqual(opts('j2'), ['#SBATCH --cpus-per-task=2', '#SBATCH --mem-per-cpu=1G', '#SBATCH --mincpus=8', '#SBATCH --gpus=a100:1', '#SBATCH --constraint=avx512', '#SBATCH --exclusive']);
  const readme = (byPath(r.plan.files).get('README.txt') as { content: string }).content;
  assert.match(readme, /Not requested from SLURM \(no portable option\): gpu_memory_gb: 20/);
});
