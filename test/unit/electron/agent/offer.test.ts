import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyOffer, freeGpuSlots, gpuEnv, parseCpus, parseGpuList, parseMemoryGb } from '../../../../electron/agent/offer.ts';
import type { Capabilities } from '../../../../shared/protocol/capabilities.ts';

const GIB = 1024 ** 3;
const box: Capabilities = {
  tags: ['gpu'], physicalCores: 16, logicalCores: 32, memoryBytes: 64 * GIB,
  gpus: [
    { vendor: 'NVIDIA', model: 'RTX 3060', memoryBytes: 12 * GIB, index: 0 },
    { vendor: 'AMD', model: 'MI100', memoryBytes: 32 * GIB, index: 0 },
    { vendor: 'NVIDIA', model: 'RTX 4090', memoryBytes: 24 * GIB, index: 1 },
  ],
};

test('parse: --cpus, --memory-gb, --gpus accept what they document and name what is wrong', () => {
  assert.deepEqual(parseCpus('4'), { ok: true, value: 4 });
  for (const bad of ['0', '-1', '1.5', 'four', '']) assert.equal(parseCpus(bad).ok, false, bad);
  assert.deepEqual(parseMemoryGb('12.5'), { ok: true, value: 12.5 });
  for (const bad of ['0', '-3', 'lots', '']) assert.equal(parseMemoryGb(bad).ok, false, bad);
  assert.deepEqual(parseGpuList('2,0'), { ok: true, value: [0, 2] });
  assert.deepEqual(parseGpuList('none'), { ok: true, value: [] });
  assert.deepEqual(parseGpuList('0,x'), { ok: false, error: "'0,x' is not a list of GPU numbers like 0,1 (or none)" });
});

test('applyOffer: offers less than detected; asking for more offers what there is, with a note', () => {
  const { capabilities, notes } = applyOffer(box, { cpus: 4, memoryGb: 16, gpus: [2] });
  assert.equal(capabilities.physicalCores, 4);
  assert.equal(capabilities.memoryBytes, 16 * GIB);
  assert.deepEqual(capabilities.gpus.map((g) => g.model), ['RTX 4090']);
  assert.deepEqual(notes, []);
  const over = applyOffer(box, { cpus: 64, memoryGb: 1000, gpus: [0, 7] });
  assert.equal(over.capabilities.physicalCores, 16);
  assert.equal(over.capabilities.memoryBytes, 64 * GIB);
  assert.deepEqual(over.capabilities.gpus.map((g) => g.model), ['RTX 3060']);
  assert.equal(over.notes.length, 3);
  assert.deepEqual(applyOffer(box, {}).capabilities, box, 'no limits: everything detected');
  assert.deepEqual(applyOffer(box, { gpus: [] }).capabilities.gpus, []);
});

test('gpuEnv: each vendor\'s variables name only the job\'s own GPUs; none leaves them empty', () => {
  assert.deepEqual(gpuEnv([box.gpus[2]]), { CUDA_DEVICE_ORDER: 'PCI_BUS_ID', CUDA_VISIBLE_DEVICES: '1', ROCR_VISIBLE_DEVICES: '', HIP_VISIBLE_DEVICES: '' });
  assert.deepEqual(gpuEnv([box.gpus[0], box.gpus[1]]), { CUDA_DEVICE_ORDER: 'PCI_BUS_ID', CUDA_VISIBLE_DEVICES: '0', ROCR_VISIBLE_DEVICES: '0', HIP_VISIBLE_DEVICES: '0' });
  assert.deepEqual(gpuEnv([]), { CUDA_DEVICE_ORDER: 'PCI_BUS_ID', CUDA_VISIBLE_DEVICES: '', ROCR_VISIBLE_DEVICES: '', HIP_VISIBLE_DEVICES: '' });
});

test('freeGpuSlots: two runs never get the same GPU', () => {
  assert.deepEqual(freeGpuSlots(3, []), [0, 1, 2]);
  assert.deepEqual(freeGpuSlots(3, [[1], [0]]), [2]);
  assert.deepEqual(freeGpuSlots(2, [[0, 1]]), []);
});
