/**
 * The exact command lines of builds and jobs for each batch kind (the agent, `distribute run` and
 * the SLURM export all use them), including the apptainer line from the product brief.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildCommand, jobCommand, jobEnv, INPUT_DIR, SAVE_DIR, type CommandLine } from '../../../../shared/job/command.ts';

const PATHS = { inputDir: '/data/b/job-1/input', saveDir: '/data/b/job-1/distribute_save' };

test('layout folder names', () => {
  assert.equal(INPUT_DIR, 'input');
  assert.equal(SAVE_DIR, 'distribute_save');
});

const BUILDS: { name: string; batch: Parameters<typeof buildCommand>[0]; opts: Parameters<typeof buildCommand>[1]; want: CommandLine | null }[] = [
  { name: 'python build file', batch: { kind: 'python', buildFile: { alias: 'build.py' } }, opts: { cores: 8 }, want: { file: 'python3', args: ['build.py'] } },
  {
    name: 'python build file, interpreter override',
    batch: { kind: 'python', buildFile: { alias: 'build.py' } },
    opts: { cores: 8, python: '/usr/bin/python3.12' },
    want: { file: '/usr/bin/python3.12', args: ['build.py'] },
  },
  { name: 'python without build file', batch: { kind: 'python' }, opts: { cores: 8 }, want: null },
  { name: 'shell build command', batch: { kind: 'shell', buildCommand: 'make -j4 && echo ok' }, opts: { cores: 8 }, want: { file: '/bin/sh', args: ['-c', 'make -j4 && echo ok'] } },
  { name: 'shell without build command', batch: { kind: 'shell' }, opts: { cores: 8 }, want: null },
  { name: 'shell with empty build command', batch: { kind: 'shell', buildCommand: '' }, opts: { cores: 8 }, want: null },
  { name: 'apptainer never builds', batch: { kind: 'apptainer', buildFile: { alias: 'build.py' }, buildCommand: 'x' }, opts: { cores: 8 }, want: null },
  // The fields of another kind are ignored rather than run.
  { name: 'python ignores a shell build command', batch: { kind: 'python', buildCommand: 'rm -rf /' }, opts: { cores: 8 }, want: null },
  { name: 'shell ignores a python build file', batch: { kind: 'shell', buildFile: { alias: 'build.py' } }, opts: { cores: 8 }, want: null },
];

for (const c of BUILDS) {
  test(`buildCommand: ${c.name}`, () => {
    assert.deepEqual(buildCommand(c.batch, c.opts), c.want);
  });
}

type JobArgs = Parameters<typeof jobCommand>;
const JOBS: { name: string; batch: JobArgs[0]; job: JobArgs[1]; paths?: JobArgs[2]; opts: JobArgs[3]; want: CommandLine }[] = [
  {
    name: 'python: script and physical cores',
    batch: { kind: 'python' }, job: { script: { alias: 'job_1.py' } }, opts: { cores: 16 },
    want: { file: 'python3', args: ['job_1.py', '16'] },
  },
  {
    name: 'python: interpreter override',
    batch: { kind: 'python' }, job: { script: { alias: 'job 1.py' } }, opts: { cores: 2, python: '/opt/py/bin/python' },
    want: { file: '/opt/py/bin/python', args: ['job 1.py', '2'] },
  },
  {
    name: 'shell: command through /bin/sh -c, untouched',
    batch: { kind: 'shell' }, job: { command: 'echo "$DISTRIBUTE_JOB" > out.txt; exit 3' }, opts: { cores: 4 },
    want: { file: '/bin/sh', args: ['-c', 'echo "$DISTRIBUTE_JOB" > out.txt; exit 3'] },
  },
  {
    name: 'shell: the python override does not apply',
    batch: { kind: 'shell' }, job: { command: 'true' }, opts: { cores: 4, python: 'python2' },
    want: { file: '/bin/sh', args: ['-c', 'true'] },
  },
  {
    name: 'apptainer: the brief\'s line without mounts',
    batch: { kind: 'apptainer', sif: { alias: 'image.sif' } }, job: {}, opts: { cores: 12 },
    want: {
      file: 'apptainer',
      args: ['run', '--nv', '--app', 'distribute', '--bind', '/data/b/job-1/input:/input:rw,/data/b/job-1/distribute_save:/distribute_save:rw', 'image.sif', '12'],
    },
  },
  {
    name: 'apptainer: required mounts appended in order',
    batch: { kind: 'apptainer', sif: { alias: 'image.sif' }, requiredMounts: ['/scratch', '/data/ref'] },
    job: {}, paths: { ...PATHS, mountDirs: ['/host/m0', '/host/m1'] }, opts: { cores: 12 },
    want: {
      file: 'apptainer',
      args: [
        'run', '--nv', '--app', 'distribute', '--bind',
        '/data/b/job-1/input:/input:rw,/data/b/job-1/distribute_save:/distribute_save:rw,/host/m0:/scratch:rw,/host/m1:/data/ref:rw',
        'image.sif', '12',
      ],
    },
  },
  {
    name: 'apptainer: a mount without a host folder is left out',
    batch: { kind: 'apptainer', sif: { alias: 'image.sif' }, requiredMounts: ['/scratch', '/data/ref'] },
    job: {}, paths: { ...PATHS, mountDirs: ['/host/m0'] }, opts: { cores: 1 },
    want: {
      file: 'apptainer',
      args: ['run', '--nv', '--app', 'distribute', '--bind', '/data/b/job-1/input:/input:rw,/data/b/job-1/distribute_save:/distribute_save:rw,/host/m0:/scratch:rw', 'image.sif', '1'],
    },
  },
  {
    name: 'apptainer: singularity runtime',
    batch: { kind: 'apptainer', sif: { alias: 'other.sif' } }, job: { script: { alias: 'ignored.py' } }, opts: { cores: 3, apptainer: 'singularity' },
    want: {
      file: 'singularity',
      args: ['run', '--nv', '--app', 'distribute', '--bind', '/data/b/job-1/input:/input:rw,/data/b/job-1/distribute_save:/distribute_save:rw', 'other.sif', '3'],
    },
  },
];

for (const c of JOBS) {
  test(`jobCommand: ${c.name}`, () => {
    assert.deepEqual(jobCommand(c.batch, c.job, c.paths ?? PATHS, c.opts), c.want);
  });
}

test('jobCommand: the apptainer line reads as in the brief', () => {
  const line = jobCommand({ kind: 'apptainer', sif: { alias: 'image.sif' } }, {}, { inputDir: '<input>', saveDir: '<save>' }, { cores: 8 });
  assert.equal(
    [line.file, ...line.args].join(' '),
    'apptainer run --nv --app distribute --bind <input>:/input:rw,<save>:/distribute_save:rw image.sif 8',
  );
});

const MISSING: { name: string; batch: JobArgs[0]; job: JobArgs[1]; error: string }[] = [
  { name: 'python job without a script', batch: { kind: 'python' }, job: { command: 'echo' }, error: 'python job without a script' },
  { name: 'shell job without a command', batch: { kind: 'shell' }, job: { script: { alias: 'a.py' } }, error: 'shell job without a command' },
  { name: 'shell job with an empty command', batch: { kind: 'shell' }, job: { command: '' }, error: 'shell job without a command' },
  { name: 'apptainer batch without an image', batch: { kind: 'apptainer' }, job: {}, error: 'apptainer batch without a sif image' },
];

for (const c of MISSING) {
  test(`jobCommand throws: ${c.name}`, () => {
    assert.throws(() => jobCommand(c.batch, c.job, PATHS, { cores: 1 }), { message: c.error });
  });
}

test('jobEnv: batch, namespace, cores and the job when given', () => {
  assert.deepEqual(jobEnv({ batch: 'b1', namespace: 'ns', job: 'job-7', cores: 6 }), {
    DISTRIBUTE_BATCH: 'b1',
    DISTRIBUTE_NAMESPACE: 'ns',
    DISTRIBUTE_CORES: '6',
    DISTRIBUTE_JOB: 'job-7',
  });
});

test('jobEnv: a build has no DISTRIBUTE_JOB', () => {
  const env = jobEnv({ batch: 'b1', namespace: 'ns', cores: 2 });
  assert.deepEqual(env, { DISTRIBUTE_BATCH: 'b1', DISTRIBUTE_NAMESPACE: 'ns', DISTRIBUTE_CORES: '2' });
  assert.equal('DISTRIBUTE_JOB' in env, false);
});
