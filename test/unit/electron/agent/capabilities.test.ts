import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  detectCapabilities,
  findOnPath,
  gpuTags,
  gpusFromControllers,
  isComputeGpu,
  normalizeTags,
  pathCandidates,
  toolTags,
} from '../../../../electron/agent/capabilities.ts';

const MIB = 1024 ** 2;

test('normalizeTags: trims, drops empties, dedupes, sorts', () => {
  assert.deepEqual(normalizeTags([' python3', 'gfortran', 'python3', '', '  ', 'Apptainer', 'gpu']), [
    'Apptainer',
    'gfortran',
    'gpu',
    'python3',
  ]);
});

test('isComputeGpu: NVIDIA and AMD by name or PCI id; integrated, BMC and virtual adapters are not', () => {
  const yes = [
    { vendor: 'NVIDIA Corporation', model: 'GA104 [GeForce RTX 3070]' },
    { vendor: 'Advanced Micro Devices, Inc. [AMD/ATI]', model: 'Navi 21 [Radeon RX 6800]' },
    { vendor: 'ATI Technologies Inc', model: 'Radeon HD 7970' },
    { vendor: '', model: 'NVIDIA GeForce GTX 1080' },
    { vendor: 'Unknown', vendorId: '10de', model: '' },
    { vendor: 'Unknown', vendorId: '0x1002', model: '' },
  ];
  const no = [
    { vendor: 'Intel Corporation', model: 'UHD Graphics 630' },
    { vendor: 'ASPEED Technology, Inc.', model: 'ASPEED Graphics Family' },
    { vendor: 'Matrox Electronics Systems Ltd.', model: 'G200eR2' },
    { vendor: 'VMware', model: 'SVGA II Adapter' },
    { vendor: 'Red Hat, Inc.', model: 'Virtio GPU' },
    { vendor: 'Apple', model: 'Apple M2' },
    {},
  ];
  for (const c of yes) assert.equal(isComputeGpu(c), true, JSON.stringify(c));
  for (const c of no) assert.equal(isComputeGpu(c), false, JSON.stringify(c));
});

test('gpusFromControllers: keeps compute GPUs, prefers nvidia-smi memory, converts MiB to bytes', () => {
  const gpus = gpusFromControllers([
    { vendor: 'Intel Corporation', model: 'UHD Graphics 630', vram: 1024 },
    { vendor: 'NVIDIA Corporation', model: 'GeForce RTX 3060 ', vram: 256, memoryTotal: 12288 },
    { vendor: 'Advanced Micro Devices, Inc. [AMD/ATI]', model: 'Radeon RX 6800', vram: 16384 },
    { vendor: 'NVIDIA Corporation', model: 'Tesla K80', vram: null },
  ]);
  assert.deepEqual(gpus, [
    { vendor: 'NVIDIA', model: 'GeForce RTX 3060', memoryBytes: 12288 * MIB, index: 0 },
    { vendor: 'AMD', model: 'Radeon RX 6800', memoryBytes: 16384 * MIB, index: 0 },
    { vendor: 'NVIDIA', model: 'Tesla K80', memoryBytes: 0, index: 1 },
  ]);
});

test('gpuTags: gpu only when an NVIDIA or AMD GPU is present', () => {
  assert.deepEqual(gpuTags([]), []);
  assert.deepEqual(gpuTags([{ vendor: 'Intel Corporation', model: 'UHD', memoryBytes: 0 }]), []);
  assert.deepEqual(gpuTags([{ vendor: 'NVIDIA', model: 'RTX', memoryBytes: 1 }]), ['gpu']);
  assert.deepEqual(gpuTags([{ vendor: 'AMD', model: 'MI100', memoryBytes: 1 }]), ['gpu']);
});

test('pathCandidates: POSIX search order, skipping empty and relative entries', () => {
  assert.deepEqual(pathCandidates('python3', '/usr/local/bin::bin:/usr/bin:./x', 'linux'), [
    '/usr/local/bin/python3',
    '/usr/bin/python3',
  ]);
  assert.deepEqual(pathCandidates('python3', undefined, 'linux'), []);
  assert.deepEqual(pathCandidates('a', '/x:/x', 'linux'), ['/x/a']);
});

test('pathCandidates: Windows uses ; and tries every PATHEXT extension', () => {
  assert.deepEqual(pathCandidates('python3', 'C:\\Python;relative', 'win32', '.EXE;.BAT'), [
    'C:\\Python\\python3',
    'C:\\Python\\python3.EXE',
    'C:\\Python\\python3.BAT',
  ]);
});

test('findOnPath and toolTags: only executable regular files count', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'distribute-caps-'));
  try {
    const first = path.join(dir, 'first');
    const second = path.join(dir, 'second');
    await mkdir(first);
    await mkdir(second);
    await writeFile(path.join(first, 'apptainer'), '#!/bin/sh\n');
    await chmod(path.join(first, 'apptainer'), 0o644); // present but not executable
    await writeFile(path.join(second, 'apptainer'), '#!/bin/sh\n');
    await chmod(path.join(second, 'apptainer'), 0o755);
    await mkdir(path.join(first, 'python3')); // a directory named like the tool
    const env = { PATH: `${first}:${second}` };

    assert.equal(await findOnPath('apptainer', env), path.join(second, 'apptainer'));
    assert.equal(await findOnPath('python3', env), null);
    assert.deepEqual(await toolTags(['python3', 'apptainer'], env), ['apptainer']);
    assert.deepEqual(await toolTags(['python3', 'apptainer'], { PATH: '' }), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('detectCapabilities: real machine, plausible values, declared and detected tags merged', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'distribute-caps-'));
  try {
    await writeFile(path.join(dir, 'apptainer'), '#!/bin/sh\n', { mode: 0o755 });
    const caps = await detectCapabilities(['gfortran', ' gfortran', 'zz-custom'], { env: { PATH: dir } });
    assert.ok(Number.isInteger(caps.physicalCores) && caps.physicalCores >= 1, `physicalCores ${caps.physicalCores}`);
    assert.ok(caps.logicalCores >= caps.physicalCores, `logical ${caps.logicalCores} < physical ${caps.physicalCores}`);
    assert.ok(caps.memoryBytes > 0 && caps.memoryBytes <= os.totalmem() * 1.01, `memory ${caps.memoryBytes}`);
    for (const gpu of caps.gpus) assert.ok(gpu.vendor === 'NVIDIA' || gpu.vendor === 'AMD');
    const expected = ['apptainer', 'gfortran', 'zz-custom', ...(caps.gpus.length > 0 ? ['gpu'] : [])];
    assert.deepEqual(caps.tags, normalizeTags(expected));

    const noTools = await detectCapabilities(['gfortran'], { detectTools: false, env: { PATH: dir } });
    assert.equal(noTools.tags.includes('apptainer'), false);
    assert.equal(noTools.tags.includes('gfortran'), true);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
