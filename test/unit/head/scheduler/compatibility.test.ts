import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkCompatibility, compatibleNodes } from '../../../../head/scheduler/compatibility.ts';
import type { Capabilities } from '../../../../shared/protocol/capabilities.ts';

const GIB = 1024 ** 3;

const workstation: Capabilities = {
  tags: ['gpu', 'python3'],
  physicalCores: 8,
  logicalCores: 16,
  memoryBytes: 31.3 * GIB,
  gpus: [
    { vendor: 'NVIDIA', model: 'RTX 3060', memoryBytes: 12 * GIB },
    { vendor: 'NVIDIA', model: 'GTX 1050', memoryBytes: 4 * GIB },
  ],
};
const laptop: Capabilities = { tags: ['python3'], physicalCores: 4, logicalCores: 8, memoryBytes: 16 * GIB, gpus: [] };

const cases: { name: string; node: Capabilities; capabilities: string[]; resources: object; reasons: string[] | null }[] = [
  { name: 'no needs at all', node: laptop, capabilities: [], resources: {}, reasons: null },
  { name: 'all tags present', node: workstation, capabilities: ['python3', 'gpu'], resources: {}, reasons: null },
  { name: 'missing tags, in the order the batch lists them', node: laptop, capabilities: ['gfortran', 'python3', 'apptainer'], resources: {}, reasons: ['missing tags: gfortran, apptainer'] },
  { name: 'a tag listed twice is reported once', node: laptop, capabilities: ['gfortran', 'gfortran'], resources: {}, reasons: ['missing tags: gfortran'] },
  { name: 'tags are case-sensitive', node: laptop, capabilities: ['Python3'], resources: {}, reasons: ['missing tags: Python3'] },
  { name: 'cores short', node: workstation, capabilities: [], resources: { cpus: 16 }, reasons: ['needs 16 cores, has 8'] },
  { name: 'cores exactly enough', node: workstation, capabilities: [], resources: { cpus: 8 }, reasons: null },
  { name: 'memory short, shown to one decimal', node: workstation, capabilities: [], resources: { memory_gb: 64 }, reasons: ['needs 64 GiB memory, has 31.3'] },
  { name: 'memory exactly enough', node: laptop, capabilities: [], resources: { memory_gb: 16 }, reasons: null },
  { name: 'memory a hair short never prints as enough', node: { ...laptop, memoryBytes: 15.99 * GIB }, capabilities: [], resources: { memory_gb: 16 }, reasons: ['needs 16 GiB memory, has 15.9'] },
  { name: 'whole GiB print without decimals', node: laptop, capabilities: [], resources: { memory_gb: 32 }, reasons: ['needs 32 GiB memory, has 16'] },
  { name: 'no GPU', node: laptop, capabilities: [], resources: { gpus: 1 }, reasons: ['needs 1 GPU, has 0'] },
  { name: 'too few GPUs', node: workstation, capabilities: [], resources: { gpus: 4 }, reasons: ['needs 4 GPUs, has 2'] },
  { name: 'GPU count enough', node: workstation, capabilities: [], resources: { gpus: 2 }, reasons: null },
  { name: 'largest GPU too small', node: workstation, capabilities: [], resources: { gpu_memory_gb: 20 }, reasons: ['needs a GPU with 20 GiB, largest has 12'] },
  { name: 'largest GPU big enough (the other one is not)', node: workstation, capabilities: [], resources: { gpu_memory_gb: 12 }, reasons: null },
  { name: 'GPU memory wanted, no GPU', node: laptop, capabilities: [], resources: { gpu_memory_gb: 8 }, reasons: ['needs a GPU with 8 GiB, has none'] },
  { name: 'zero minimums impose nothing', node: laptop, capabilities: [], resources: { cpus: 0, memory_gb: 0, gpus: 0, gpu_memory_gb: 0 }, reasons: null },
  {
    name: 'every reason at once, tags first',
    node: laptop,
    capabilities: ['gfortran', 'apptainer'],
    resources: { cpus: 16, memory_gb: 64, gpus: 1, gpu_memory_gb: 20 },
    reasons: [
      'missing tags: gfortran, apptainer',
      'needs 16 cores, has 4',
      'needs 64 GiB memory, has 16',
      'needs 1 GPU, has 0',
      'needs a GPU with 20 GiB, has none',
    ],
  },
];

for (const c of cases) {
  test(`checkCompatibility: ${c.name}`, () => {
    const verdict = checkCompatibility(c.node, { capabilities: c.capabilities, resources: c.resources });
    assert.deepEqual(verdict, c.reasons === null ? { ok: true } : { ok: false, reasons: c.reasons });
  });
}

test('compatibleNodes: splits nodes, keeping input order and reasons', () => {
  const report = compatibleNodes(
    [
      { id: 'laptop', capabilities: laptop },
      { id: 'ws', capabilities: workstation },
      { id: 'bare', capabilities: { ...laptop, tags: [] } },
    ],
    { capabilities: ['python3'], resources: { memory_gb: 20 } },
  );
  assert.deepEqual(report, {
    compatible: ['ws'],
    incompatible: [
      { id: 'laptop', reasons: ['needs 20 GiB memory, has 16'] },
      { id: 'bare', reasons: ['missing tags: python3', 'needs 20 GiB memory, has 16'] },
    ],
  });
});

test('compatibleNodes: no nodes, nobody compatible', () => {
  assert.deepEqual(compatibleNodes([], { capabilities: [], resources: {} }), { compatible: [], incompatible: [] });
});

test('checkCompatibility: a request the node could never hold is refused with the reason', () => {
  const verdict = checkCompatibility(laptop, { capabilities: [], resources: {}, request: { cpus: 64, memory_gb: 512, gpus: 2 } });
  assert.deepEqual(verdict, {
    ok: false,
    reasons: [
      `a job requests 64 cores, node offers ${laptop.physicalCores}`,
      'a job requests 512 GiB memory, node offers 16',
      `a job requests 2 GPUs, node offers ${laptop.gpus.length}`,
    ],
  });
  assert.deepEqual(checkCompatibility(laptop, { capabilities: [], resources: {}, request: { cpus: 1, memory_gb: 1 } }), { ok: true });
});
