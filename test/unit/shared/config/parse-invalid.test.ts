/**
 * Invalid configs: one row per error class, each asserting every problem reported (path, line and
 * exact message), so a config with several mistakes is fixed in one pass.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../../shared/config/parse-config.ts';
import type { ConfigProblem } from '../../../../shared/config/types.ts';
import { META, removeDir, tempDirWith, yaml } from './helpers.ts';

const dirs: string[] = [];
after(() => dirs.forEach(removeDir));

interface InvalidCase {
  name: string;
  text: string;
  files?: string[];
  problems: ConfigProblem[];
}

const SHELL_JOB = ['shell:', '  jobs: [{name: j, command: x}]'];
const TAIL = '; files in the same folder need distinct aliases';
const ONE_SECTION = 'expected exactly one job section (python, apptainer or shell)';

const cases: InvalidCase[] = [
  {
    name: 'malformed YAML',
    text: yaml('meta:', '  batch_name: b', '  namespace: a: b', '  capabilities: []'),
    problems: [{ path: '', line: 3, message: 'malformed YAML: Nested mappings are not allowed in compact mappings' }],
  },
  {
    name: 'a key written twice',
    text: yaml(...META, '  namespace: again', ...SHELL_JOB),
    problems: [{ path: '', line: 5, message: 'malformed YAML: Map keys must be unique' }],
  },
  {
    name: 'two YAML documents',
    text: yaml(...META, ...SHELL_JOB, '---', 'meta: {}'),
    problems: [{ path: '', line: 7, message: "malformed YAML: a config is one YAML document, but a second one starts here ('---')" }],
  },
  {
    name: 'tab indentation',
    text: yaml(...META, 'shell:', '\tjobs: []'),
    problems: [{ path: '', line: 6, message: 'malformed YAML: Tabs are not allowed as indentation' }],
  },
  {
    name: 'empty document',
    text: '# only a comment\n',
    problems: [{ path: '', message: 'the config is empty; it needs a meta section and one job section' }],
  },
  {
    name: 'top level is a list',
    text: yaml('- meta', '- python'),
    problems: [{ path: '', message: 'expected a map with a meta section and one job section, got a list' }],
  },
  {
    name: 'unknown keys at every level',
    text: yaml('meta:', '  batch_name: b', '  namespace: ns', '  capabilities: []', '  owner: me',
      'python:', '  initialize:', '    build: x', '  jobs:', '    - name: j', '      file: { path: run.py, mode: 755 }',
      '      script: run.py', 'extra: 1'),
    files: ['run.py'],
    problems: [
      { path: 'meta.owner', line: 5, message: "unknown key 'owner'; expected one of: batch_name, namespace, matrix, capabilities, description, resources, request, max_retries, share" },
      { path: 'python.initialize.build', line: 8, message: "unknown key 'build'; expected one of: build_file, required_files" },
      { path: 'python.jobs[0].file.mode', line: 11, message: "unknown key 'mode'; expected one of: path, alias" },
      { path: 'python.jobs[0].script', line: 12, message: "unknown key 'script'; expected one of: name, file, required_files, request, slurm" },
      { path: 'extra', line: 13, message: "unknown key 'extra'; expected one of: meta, python, apptainer, shell, slurm" },
    ],
  },
  {
    name: 'missing required meta keys, all reported',
    text: yaml('meta:', '  matrix: "@a:b.org"', ...SHELL_JOB),
    problems: [
      { path: 'meta.batch_name', line: 1, message: "missing required key 'batch_name'" },
      { path: 'meta.namespace', line: 1, message: "missing required key 'namespace'" },
      { path: 'meta.capabilities', line: 1, message: "missing required key 'capabilities'" },
    ],
  },
  {
    name: 'missing meta and missing jobs',
    text: yaml('python:', '  initialize: {}'),
    problems: [
      { path: 'meta', message: "missing required key 'meta'" },
      { path: 'python.jobs', line: 1, message: "missing required key 'jobs'" },
    ],
  },
  {
    name: 'a job without name and file',
    text: yaml(...META, 'python:', '  jobs:', '    - required_files: []'),
    problems: [
      { path: 'python.jobs[0].name', line: 7, message: "missing required key 'name'" },
      { path: 'python.jobs[0].file', line: 7, message: "missing required key 'file'" },
    ],
  },
  {
    name: 'wrong types',
    text: yaml('meta:', '  batch_name: [b]', '  namespace: {x: 1}', '  capabilities: python3', '  description: true',
      'python:', '  initialize:', '    required_files: mesh.h5', '  jobs:', '    - name: j', '      file: [run.py]',
      '      slurm: { ntasks: four, nodes: 1.5, cpus_per_task: 0, time: [1] }', 'slurm: yes'),
    problems: [
      { path: 'meta.batch_name', line: 2, message: 'expected a string, got a list' },
      { path: 'meta.namespace', line: 3, message: 'expected a string, got a map' },
      { path: 'meta.capabilities', line: 4, message: "expected a list of strings, got a string ('python3')" },
      { path: 'meta.description', line: 5, message: 'expected a string, got a boolean (true)' },
      { path: 'python.initialize.required_files', line: 8, message: "expected a list of files, got a string ('mesh.h5')" },
      { path: 'python.jobs[0].file', line: 11, message: "expected a file (a path, or a map with 'path' and optional 'alias'), got a list" },
      { path: 'python.jobs[0].slurm.nodes', line: 12, message: 'must be a positive integer, got 1.5' },
      { path: 'python.jobs[0].slurm.ntasks', line: 12, message: "expected a number, got a string ('four')" },
      { path: 'python.jobs[0].slurm.cpus_per_task', line: 12, message: 'must be a positive integer, got 0' },
      { path: 'python.jobs[0].slurm.time', line: 12, message: 'expected a string, got a list' },
      { path: 'slurm', line: 13, message: "expected a map, got a string ('yes')" },
    ],
  },
  {
    name: 'bad requests, in meta and per job',
    text: yaml(...META, '  request: { cpus: 1.5, memory_gb: 0, gpus: -1, disk: 3 }',
      'shell:', '  jobs:', '    - { name: j, command: x, request: { cpus: two } }', '    - { name: k, command: x, request: 4 }',
      'slurm: { exclusive: "yes", gres: "gpu:2" }'),
    problems: [
      { path: 'meta.request.disk', line: 5, message: "unknown key 'disk'; expected one of: cpus, memory_gb, gpus" },
      { path: 'meta.request.cpus', line: 5, message: 'must be a positive whole number of cores, got 1.5' },
      { path: 'meta.request.memory_gb', line: 5, message: 'must be a positive number of GiB, got 0' },
      { path: 'meta.request.gpus', line: 5, message: 'must be a whole number of GPUs (0 or more), got -1' },
      { path: 'shell.jobs[0].request.cpus', line: 8, message: "expected a number, got a string ('two')" },
      { path: 'shell.jobs[1].request', line: 9, message: 'expected a map, got a number' },
      { path: 'slurm.exclusive', line: 10, message: "expected true or false, got a string ('yes')" },
    ],
  },
  {
    name: 'no job section',
    text: yaml(...META),
    problems: [{ path: '', message: `${ONE_SECTION}, found none` }],
  },
  {
    name: 'two job sections',
    text: yaml(...META, 'python:', '  jobs: [{name: a, file: run.py}]', 'shell:', '  jobs: [{name: a, command: x}]'),
    files: ['run.py'],
    problems: [{ path: 'shell', line: 7, message: `${ONE_SECTION}, found 2: python, shell` }],
  },
  {
    name: 'zero jobs (empty list)',
    text: yaml(...META, 'python:', '  jobs: []'),
    problems: [{ path: 'python.jobs', line: 6, message: 'a batch needs at least one job' }],
  },
  {
    name: 'zero jobs (no value)',
    text: yaml(...META, 'shell:', '  jobs:'),
    problems: [{ path: 'shell.jobs', line: 6, message: 'a batch needs at least one job' }],
  },
  {
    name: 'duplicate job names',
    text: yaml(...META, 'shell:', '  jobs:', '    - {name: a, command: x}', '    - {name: b, command: x}',
      '    - {name: a, command: y}', '    - {name: b, command: z}'),
    problems: [
      { path: 'shell.jobs[2].name', line: 9, message: "duplicate job name 'a' (first used by shell.jobs[0] on line 7)" },
      { path: 'shell.jobs[3].name', line: 10, message: "duplicate job name 'b' (first used by shell.jobs[1] on line 8)" },
    ],
  },
  {
    name: 'names that are not safe folder names',
    text: yaml('meta:', '  batch_name: ..', '  namespace: a/b', '  capabilities: []', 'shell:', '  initialize:',
      '    required_files: [{path: x.txt, alias: ..}]', '  jobs:', '    - {name: "a\\0b", command: x}',
      '    - {name: ".", command: x}', '    - {name: "", command: x}', '    - name: j', '      command: x',
      '      required_files: [{ path: x.txt, alias: "sub/x.txt" }]'),
    files: ['x.txt'],
    problems: [
      { path: 'meta.batch_name', line: 2, message: "batch_name '..' is not a valid folder name" },
      { path: 'meta.namespace', line: 3, message: "namespace 'a/b' must not contain '/' or '\\'" },
      { path: 'shell.initialize.required_files[0].alias', line: 7, message: "alias '..' is not a valid folder name" },
      { path: 'shell.jobs[0].name', line: 9, message: "job name 'a\\x00b' must not contain NUL or control characters" },
      { path: 'shell.jobs[1].name', line: 10, message: "job name '.' is not a valid folder name" },
      { path: 'shell.jobs[2].name', line: 11, message: 'job name must not be empty' },
      { path: 'shell.jobs[3].required_files[0].alias', line: 14, message: "alias 'sub/x.txt' must not contain '/' or '\\'" },
    ],
  },
  {
    name: 'missing files and a folder where a file is expected',
    text: yaml(...META, 'python:', '  initialize:', '    build_file: { path: build.py }', '    required_files: [data]',
      '  jobs:', '    - name: j', '      file: run7.py', '      required_files:', '        - { path: sub/p.json, alias: p.json }'),
    files: ['data/inner.txt'],
    problems: [
      { path: 'python.initialize.build_file', line: 7, message: "file 'build.py' not found" },
      { path: 'python.initialize.required_files[0]', line: 8, message: "file 'data' is not a regular file" },
      { path: 'python.jobs[0].file', line: 11, message: "file 'run7.py' not found" },
      { path: 'python.jobs[0].required_files[0]', line: 13, message: "file 'sub/p.json' not found" },
    ],
  },
  {
    name: 'two files with one alias in the same folder',
    text: yaml(...META, 'python:', '  initialize:', '    required_files:', '      - a/params.json',
      '      - { path: b/params.json }', '      - { path: mesh.h5, alias: grid.h5 }', '  jobs:', '    - name: j',
      '      file: run.py', '      required_files:', '        - { path: grid2.h5, alias: grid.h5 }', '        - x.txt',
      '        - { path: y.txt, alias: x.txt }', '    - name: k', '      file: run.py', '      required_files: [x.txt]'),
    files: ['a/params.json', 'b/params.json', 'mesh.h5', 'run.py', 'grid2.h5', 'x.txt', 'y.txt'],
    problems: [
      { path: 'python.initialize.required_files[1]', line: 9, message: `alias 'params.json' is already used by python.initialize.required_files[0] on line 8${TAIL}` },
      { path: 'python.jobs[0].required_files[0].alias', line: 15, message: `alias 'grid.h5' is already used by python.initialize.required_files[2] on line 10${TAIL}` },
      { path: 'python.jobs[0].required_files[2].alias', line: 17, message: `alias 'x.txt' is already used by python.jobs[0].required_files[1] on line 16${TAIL}` },
    ],
  },
  {
    name: 'bad resources and max_retries',
    text: yaml(...META, '  resources: { cpus: 0, memory_gb: -4, gpus: 1.5, gpu_memory_gb: lots, disk_gb: 100 }',
      '  max_retries: -1', ...SHELL_JOB),
    problems: [
      { path: 'meta.resources.disk_gb', line: 5, message: "unknown key 'disk_gb'; expected one of: cpus, memory_gb, gpus, gpu_memory_gb" },
      { path: 'meta.resources.cpus', line: 5, message: 'must be a positive number, got 0' },
      { path: 'meta.resources.memory_gb', line: 5, message: 'must be a positive number, got -4' },
      { path: 'meta.resources.gpus', line: 5, message: 'must be a non-negative integer, got 1.5' },
      { path: 'meta.resources.gpu_memory_gb', line: 5, message: "expected a number, got a string ('lots')" },
      { path: 'meta.max_retries', line: 6, message: 'must be an integer from 0 to 100, got -1' },
    ],
  },
  {
    name: 'max_retries too large, resources not a map',
    text: yaml(...META, '  resources: [cpus]', '  max_retries: 101', ...SHELL_JOB),
    problems: [
      { path: 'meta.resources', line: 5, message: 'expected a map, got a list' },
      { path: 'meta.max_retries', line: 6, message: 'must be an integer from 0 to 100, got 101' },
    ],
  },
  {
    name: 'max_retries not a number (while 2.0e0 is a whole number of nodes)',
    text: yaml(...META, '  max_retries: three', ...SHELL_JOB, 'slurm: { nodes: 2.0e0 }'),
    problems: [
      { path: 'meta.max_retries', line: 5, message: "expected a number, got a string ('three')" },
    ],
  },
  {
    name: 'apptainer without sif, bad mounts, a python-only key',
    text: yaml(...META, 'apptainer:', '  initialize:', '    required_mounts: [scratch, "/a,b", /x/../y]', '  jobs:',
      '    - name: j', '      file: run.py'),
    problems: [
      { path: 'apptainer.initialize.sif', line: 6, message: "missing required key 'sif'" },
      { path: 'apptainer.initialize.required_mounts[0]', line: 7, message: "mount 'scratch' must be an absolute path inside the container" },
      { path: 'apptainer.initialize.required_mounts[1]', line: 7, message: "mount '/a,b' must not contain ',' or ':' (they separate apptainer --bind entries)" },
      { path: 'apptainer.initialize.required_mounts[2]', line: 7, message: "mount '/x/../y' must not contain '..'" },
      { path: 'apptainer.jobs[0].file', line: 10, message: "unknown key 'file'; expected one of: name, required_files, request, slurm" },
    ],
  },
  {
    name: 'apptainer without initialize',
    text: yaml(...META, 'apptainer:', '  jobs: [{name: j}]'),
    problems: [{ path: 'apptainer.initialize', line: 5, message: "missing required key 'initialize'" }],
  },
  {
    name: 'shell: missing and empty commands',
    text: yaml(...META, 'shell:', '  initialize: { build: "  " }', '  jobs:', '    - name: a', '    - { name: b, command: "" }'),
    problems: [
      { path: 'shell.initialize.build', line: 6, message: 'build command must not be empty' },
      { path: 'shell.jobs[0].command', line: 8, message: "missing required key 'command'" },
      { path: 'shell.jobs[1].command', line: 9, message: 'command must not be empty' },
    ],
  },
  {
    name: 'matrix id, null and empty capabilities',
    text: yaml('meta:', '  batch_name: b', '  namespace: ns', '  matrix: alice', '  capabilities:', ...SHELL_JOB),
    problems: [
      { path: 'meta.matrix', line: 4, message: "expected a Matrix user id like '@user:matrix.org', got 'alice'" },
      { path: 'meta.capabilities', line: 5, message: 'expected a list of strings (write [] for none), got nothing (null)' },
    ],
  },
  {
    name: 'an empty capability',
    text: yaml('meta:', '  batch_name: b', '  namespace: ns', '  capabilities: [ok, ""]', ...SHELL_JOB),
    problems: [{ path: 'meta.capabilities[1]', line: 4, message: 'capability must not be empty' }],
  },
  {
    name: 'file references without a path, empty, or null',
    text: yaml(...META, 'python:', '  initialize: { build_file: { alias: b.py } }', '  jobs:',
      '    - { name: a, file: "" }', '    - name: b', '      file:'),
    problems: [
      { path: 'python.initialize.build_file.path', line: 6, message: "missing required key 'path'" },
      { path: 'python.jobs[0].file', line: 8, message: 'file path must not be empty' },
      { path: 'python.jobs[1].file', line: 10, message: "expected a file (a path, or a map with 'path' and optional 'alias'), got nothing (null)" },
    ],
  },
];

for (const c of cases) {
  test(`invalid: ${c.name}`, () => {
    const dir = tempDirWith(c.files);
    dirs.push(dir);
    const result = parseConfig(c.text, { baseDir: dir });
    assert.deepEqual(result, { ok: false, problems: c.problems });
  });
}
