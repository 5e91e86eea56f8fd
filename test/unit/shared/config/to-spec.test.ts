/** configFiles and configToSpec: every file becomes alias + sha256 + size; the spec passes its schema. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatProblems } from '../../../../shared/config/load.ts';
import { parseConfig } from '../../../../shared/config/parse-config.ts';
import { configFiles, configToSpec, type FileHash } from '../../../../shared/config/to-spec.ts';
import { BatchSpecSchema, distinctInputs } from '../../../../shared/batch/spec.ts';
import type { BatchConfig } from '../../../../shared/config/types.ts';
import { META, yaml } from './helpers.ts';

function parse(text: string): BatchConfig {
  const result = parseConfig(text, { baseDir: '/cfg', checkFiles: false });
  assert.ok(result.ok, result.ok ? '' : formatProblems(result.problems));
  return result.config;
}

/** A fake hash per path: the digest encodes the path's index so mix-ups show. */
function hashesFor(paths: string[]): Map<string, FileHash> {
  return new Map(paths.map((p, i) => [p, { sha256: i.toString(16).padStart(64, '0'), size: 100 + i }]));
}
const h = (i: number) => i.toString(16).padStart(64, '0');

test('python: build file, init files, job scripts and files, shared files listed once', () => {
  const config = parse(yaml(
    'meta:', '  batch_name: b', '  namespace: ns', '  matrix: "@a:m.org"', '  capabilities: [python3]',
    '  resources: { cpus: 4 }', '  max_retries: 2',
    'python:', '  initialize:', '    build_file: build.py', '    required_files: [mesh.h5]', '  jobs:',
    '    - { name: j1, file: run.py, required_files: [{ path: p1.json, alias: p.json }] }',
    '    - { name: j2, file: run.py, required_files: [{ path: p2.json, alias: p.json }, { path: mesh.h5, alias: m.h5 }] }'));
  const files = configFiles(config);
  assert.deepEqual(files, ['/cfg/build.py', '/cfg/mesh.h5', '/cfg/run.py', '/cfg/p1.json', '/cfg/p2.json']);
  const spec = configToSpec(config, hashesFor(files));
  assert.deepEqual(spec, {
    namespace: 'ns', name: 'b', matrix: '@a:m.org', kind: 'python', capabilities: ['python3'], resources: { cpus: 4 },
    maxRetries: 2, requiredMounts: [],
    buildFile: { alias: 'build.py', sha256: h(0), size: 100 },
    initFiles: [{ alias: 'mesh.h5', sha256: h(1), size: 101 }],
    jobs: [
      { name: 'j1', script: { alias: 'run.py', sha256: h(2), size: 102 }, files: [{ alias: 'p.json', sha256: h(3), size: 103 }] },
      {
        name: 'j2', script: { alias: 'run.py', sha256: h(2), size: 102 },
        files: [{ alias: 'p.json', sha256: h(4), size: 104 }, { alias: 'm.h5', sha256: h(1), size: 101 }],
      },
    ],
  });
  assert.deepEqual(BatchSpecSchema.parse(spec), spec);
  assert.equal(distinctInputs(spec).length, 5);
});

test('apptainer: sif and mounts', () => {
  const config = parse(yaml(...META, 'apptainer:', '  initialize:', '    sif: img.sif', '    required_mounts: [/scratch]',
    '  jobs: [{ name: a }, { name: b, required_files: [x.txt] }]'));
  const files = configFiles(config);
  assert.deepEqual(files, ['/cfg/img.sif', '/cfg/x.txt']);
  const spec = configToSpec(config, hashesFor(files));
  assert.equal(spec.kind, 'apptainer');
  assert.deepEqual(spec.sif, { alias: 'img.sif', sha256: h(0), size: 100 });
  assert.deepEqual(spec.requiredMounts, ['/scratch']);
  assert.deepEqual(spec.jobs, [{ name: 'a', files: [] }, { name: 'b', files: [{ alias: 'x.txt', sha256: h(1), size: 101 }] }]);
  assert.equal('matrix' in spec, false);
  assert.deepEqual(BatchSpecSchema.parse(spec), spec);
});

test('shell: build command and job commands; no files at all is fine', () => {
  const config = parse(yaml(...META, 'shell:', '  initialize: { build: make }', '  jobs: [{ name: a, command: "echo hi" }]'));
  assert.deepEqual(configFiles(config), []);
  const spec = configToSpec(config, new Map());
  assert.equal(spec.buildCommand, 'make');
  assert.deepEqual(spec.jobs, [{ name: 'a', command: 'echo hi', files: [] }]);
  assert.equal('buildFile' in spec, false);
  assert.deepEqual(BatchSpecSchema.parse(spec), spec);
});

test('a file without a hash is a programming error', () => {
  const config = parse(yaml(...META, 'python:', '  jobs: [{ name: a, file: run.py }]'));
  assert.throws(() => configToSpec(config, new Map()), /no hash for '\/cfg\/run.py'/);
});

test('requests: meta.request goes to the batch, a job\'s own request to the job; largestRequest spans both', async () => {
  const { largestRequest, jobShare } = await import('../../../../shared/batch/request.ts');
  const config = parse(yaml(...META, '  request: { cpus: 1, memory_gb: 2 }', 'shell:', '  jobs:',
    '    - { name: a, command: x }', '    - { name: b, command: x, request: { cpus: 3, gpus: 1 } }'));
  const spec = configToSpec(config, hashesFor(configFiles(config)));
  assert.deepEqual(spec.request, { cpus: 1, memory_gb: 2 });
  assert.equal(spec.jobs[0].request, undefined);
  assert.deepEqual(spec.jobs[1].request, { cpus: 3, gpus: 1 });
  assert.ok(BatchSpecSchema.safeParse(spec).success);
  assert.deepEqual(largestRequest(spec), { cpus: 3, memory_gb: 2, gpus: 1 });
  // Key by key: job b keeps the batch's memory.
  assert.deepEqual(jobShare(spec, spec.jobs[1]), { cpus: 3, memoryBytes: 2 * 1024 ** 3, gpus: 1 });
  assert.equal(jobShare({}, {}), null);
});
