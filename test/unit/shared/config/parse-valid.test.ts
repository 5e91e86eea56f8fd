/** Valid configs: the table covers every accepted form and checks the parsed result in full. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { formatProblems } from '../../../../shared/config/load.ts';
import { parseConfig } from '../../../../shared/config/parse-config.ts';
import type { BatchConfig } from '../../../../shared/config/types.ts';
import { META, removeDir, tempDirWith, yaml } from './helpers.ts';

const dirs: string[] = [];
after(() => dirs.forEach(removeDir));

interface ValidCase {
  name: string;
  text: string;
  files: string[];
  /** Builds the expected config from the temp folder's path. */
  expect: (dir: string) => Omit<BatchConfig, 'source'>;
}

const f = (dir: string, path: string, alias?: string) => ({ path: join(dir, path), alias: alias ?? path.split('/').pop()! });
const baseMeta = { batch_name: 'b', namespace: 'ns', capabilities: ['python3'], resources: {}, max_retries: 0 };

const cases: ValidCase[] = [
  {
    name: 'python, both file forms, build_file as a bare string, aliases and subfolders',
    text: yaml(...META,
      'python:',
      '  initialize:',
      '    build_file: build.py',
      '    required_files:',
      '      - { path: data/mesh.h5 }',
      '      - shared.txt',
      '  jobs:',
      '    - name: job_1',
      '      file: { path: run.py }',
      '      required_files:',
      '        - { path: params_1.json, alias: params.json }',
      '    - name: job_2',
      '      file: scripts/run2.py',
      '      required_files: [{ path: params_2.json, alias: params.json }]'),
    files: ['build.py', 'data/mesh.h5', 'shared.txt', 'run.py', 'params_1.json', 'params_2.json', 'scripts/run2.py'],
    expect: (d) => ({
      meta: baseMeta,
      section: {
        kind: 'python',
        initialize: { build_file: f(d, 'build.py'), required_files: [f(d, 'data/mesh.h5'), f(d, 'shared.txt')] },
        jobs: [
          { name: 'job_1', file: f(d, 'run.py'), required_files: [f(d, 'params_1.json', 'params.json')] },
          { name: 'job_2', file: f(d, 'scripts/run2.py'), required_files: [f(d, 'params_2.json', 'params.json')] },
        ],
      },
    }),
  },
  {
    name: 'python without initialize; empty required_files written as a bare key',
    text: yaml(...META, 'python:', '  jobs:', '    - name: only', '      file: run.py', '      required_files:'),
    files: ['run.py'],
    expect: (d) => ({
      meta: baseMeta,
      section: { kind: 'python', initialize: { required_files: [] }, jobs: [{ name: 'only', file: f(d, 'run.py'), required_files: [] }] },
    }),
  },
  {
    name: 'python with initialize but no build_file',
    text: yaml(...META, 'python:', '  initialize:', '    required_files: [a.txt]', '  jobs:', '    - {name: j, file: run.py}'),
    files: ['run.py', 'a.txt'],
    expect: (d) => ({
      meta: baseMeta,
      section: { kind: 'python', initialize: { required_files: [f(d, 'a.txt')] }, jobs: [{ name: 'j', file: f(d, 'run.py'), required_files: [] }] },
    }),
  },
  {
    name: 'apptainer with mounts, batch-wide slurm and a per-job slurm override',
    text: yaml(
      'meta:',
      '  batch_name: app',
      '  namespace: brooks',
      '  capabilities: [apptainer, gpu]',
      'apptainer:',
      '  initialize:',
      '    sif: { path: solver.sif }',
      '    required_files: [mesh.h5]',
      '    required_mounts: [/solver/scratch, /data]',
      '  jobs:',
      '    - name: case_1',
      '      required_files: [{ path: c1.json, alias: case.json }]',
      '    - name: case_2',
      '      slurm: { time: "04:00:00", ntasks: 8 }',
      'slurm:',
      '  job_name: sweep',
      '  output: out.txt',
      '  nodes: 1',
      '  ntasks: 4',
      '  cpus_per_task: 2',
      '  mem_per_cpu: 4000',
      '  hint: nomultithread',
      '  time: 01:00:00',
      '  partition: general',
      '  account: lab',
      '  mail_user: me@example.org',
      '  mail_type: END,FAIL'),
    files: ['solver.sif', 'mesh.h5', 'c1.json'],
    expect: (d) => ({
      meta: { ...baseMeta, batch_name: 'app', namespace: 'brooks', capabilities: ['apptainer', 'gpu'] },
      section: {
        kind: 'apptainer',
        initialize: { sif: f(d, 'solver.sif'), required_files: [f(d, 'mesh.h5')], required_mounts: ['/solver/scratch', '/data'] },
        jobs: [
          { name: 'case_1', required_files: [f(d, 'c1.json', 'case.json')] },
          { name: 'case_2', required_files: [], slurm: { time: '04:00:00', ntasks: 8 } },
        ],
      },
      slurm: {
        job_name: 'sweep', output: 'out.txt', nodes: 1, ntasks: 4, cpus_per_task: 2, mem_per_cpu: '4000',
        hint: 'nomultithread', time: '01:00:00', partition: 'general', account: 'lab', mail_user: 'me@example.org',
        mail_type: 'END,FAIL',
      },
    }),
  },
  {
    name: 'shell with build, resources, max_retries, matrix, description and empty capabilities',
    text: yaml(
      'meta:',
      '  batch_name: sh',
      '  namespace: ns',
      '  matrix: "@alice:matrix.org"',
      '  description: a shell sweep',
      '  capabilities: []',
      '  resources: { cpus: 16, memory_gb: 62.5, gpus: 0, gpu_memory_gb: 20 }',
      '  max_retries: 3',
      'shell:',
      '  initialize:',
      '    build: make -j4',
      '    required_files: [data.csv]',
      '  jobs:',
      '    - name: run_1',
      '      command: wc -l input/data.csv > distribute_save/n.txt'),
    files: ['data.csv'],
    expect: (d) => ({
      meta: {
        batch_name: 'sh', namespace: 'ns', matrix: '@alice:matrix.org', description: 'a shell sweep', capabilities: [],
        resources: { cpus: 16, memory_gb: 62.5, gpus: 0, gpu_memory_gb: 20 }, max_retries: 3,
      },
      section: {
        kind: 'shell',
        initialize: { build: 'make -j4', required_files: [f(d, 'data.csv')] },
        jobs: [{ name: 'run_1', command: 'wc -l input/data.csv > distribute_save/n.txt', required_files: [] }],
      },
    }),
  },
  {
    name: 'numbers written where strings are expected keep their source text',
    text: yaml('meta:', '  batch_name: 2024', '  namespace: ns', '  capabilities: [3d]',
      'shell:', '  jobs:', '    - name: 007', '      command: "true"', '    - name: 1.50', '      command: "true"'),
    files: [],
    expect: () => ({
      meta: { ...baseMeta, batch_name: '2024', capabilities: ['3d'] },
      section: {
        kind: 'shell', initialize: { required_files: [] },
        jobs: [{ name: '007', command: 'true', required_files: [] }, { name: '1.50', command: 'true', required_files: [] }],
      },
    }),
  },
  {
    name: 'meta.request for every job, a job overriding it, new slurm keys',
    text: yaml(...META,
      '  request: { cpus: 1, memory_gb: 2.5 }',
      'shell:',
      '  jobs:',
      '    - { name: small, command: "true" }',
      '    - { name: big, command: "true", request: { cpus: 4, gpus: 1 } }',
      'slurm: { gres: "gpu:1", gpus: 2, constraint: avx512, exclusive: true }'),
    files: [],
    expect: () => ({
      meta: { ...baseMeta, request: { cpus: 1, memory_gb: 2.5 } },
      section: {
        kind: 'shell', initialize: { required_files: [] },
        jobs: [
          { name: 'small', command: 'true', required_files: [] },
          { name: 'big', command: 'true', required_files: [], request: { cpus: 4, gpus: 1 } },
        ],
      },
      slurm: { gres: 'gpu:1', gpus: '2', constraint: 'avx512', exclusive: true },
    }),
  },
];

// Anchors have to sit inside known keys (unknown keys are errors), so one is defined on the first job.
cases.push({
  name: 'anchors, aliases and merge keys',
  text: yaml(...META,
    'shell:',
    '  jobs:',
    '    - { name: a, command: "true", slurm: &s { time: "01:00:00" } }',
    '    - { name: b, command: "true", slurm: *s }',
    '    - name: c',
    '      command: "true"',
    '      slurm: { <<: *s, ntasks: 2 }'),
  files: [],
  expect: () => ({
    meta: baseMeta,
    section: {
      kind: 'shell', initialize: { required_files: [] },
      jobs: [
        { name: 'a', command: 'true', required_files: [], slurm: { time: '01:00:00' } },
        { name: 'b', command: 'true', required_files: [], slurm: { time: '01:00:00' } },
        { name: 'c', command: 'true', required_files: [], slurm: { time: '01:00:00', ntasks: 2 } },
      ],
    },
  }),
});

for (const c of cases) {
  test(`valid: ${c.name}`, () => {
    const dir = tempDirWith(c.files);
    dirs.push(dir);
    // Both readers of the text (./simple-yaml.ts when it takes it, yaml always) give the config.
    for (const simpleYaml of [true, false]) {
      const result = parseConfig(c.text, { baseDir: dir, source: join(dir, 'cfg.yaml'), simpleYaml });
      assert.ok(result.ok, result.ok ? '' : formatProblems(result.problems));
      assert.deepEqual(result.config, { source: join(dir, 'cfg.yaml'), ...c.expect(dir) });
    }
  });
}

test('source defaults to <string>; checkFiles: false skips file checks', () => {
  const result = parseConfig(yaml(...META, 'python:', '  jobs: [{name: j, file: nowhere.py}]'), { baseDir: '/nonexistent', checkFiles: false });
  assert.ok(result.ok);
  assert.equal(result.config.source, '<string>');
  assert.deepEqual(result.config.section.jobs[0], { name: 'j', file: { path: '/nonexistent/nowhere.py', alias: 'nowhere.py' }, required_files: [] });
});

test('an injected fileExists replaces the file system check', () => {
  const seen: string[] = [];
  const text = yaml(...META, 'python:', '  jobs: [{name: j, file: run.py}]');
  const yes = parseConfig(text, { baseDir: '/cfg', fileExists: (p) => { seen.push(p); return true; } });
  assert.ok(yes.ok);
  assert.deepEqual(seen, ['/cfg/run.py']);
  const no = parseConfig(text, { baseDir: '/cfg', fileExists: () => false });
  assert.deepEqual(no, { ok: false, problems: [{ path: 'python.jobs[0].file', line: 6, message: "file 'run.py' not found" }] });
});
