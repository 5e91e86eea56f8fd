import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { OUT_FILE, render } from '../../../../build/answer-shapes.ts';
import * as shapes from '../../../../shared/api/answer-shapes.ts';
import * as api from '../../../../shared/api/head-api.ts';
import { HeadClient } from '../../../../shared/api/head-client.ts';
import { checkShape, type ShapeNode } from '../../../../shared/api/shape.ts';
import { shapeOf } from '../../../../shared/api/shape-of.ts';
import { fakeTransport } from './fake-transport.ts';
import { paths, replaced, WRONG } from './mutants.ts';

test('answer-shapes.ts is what the schemas of head-api.ts give now (else: npm run gen:shapes)', () => {
  assert.equal(fs.readFileSync(OUT_FILE, 'utf8'), render(), 'shared/api/answer-shapes.ts is stale: run `npm run gen:shapes`');
});

const counts = { queued: 1, assigned: 1, running: 1, paused: 1, succeeded: 1, failed: 0, cancelled: 0, buildFailed: 0 };
const batch = {
  id: 'b1', namespace: 'ns', name: 'b', owner: 'ana', kind: 'shell', phase: 'active', outcome: null, createdAt: 1, submittedAt: 2, endedAt: null,
  total: 5, counts, capabilities: ['python3'], resources: { cpus: 2, memory_gb: 1.5 }, buildFailures: { n2: 'log' },
};
const base = { name: 'j', attempts: 1, retries: 0 };
const jobs = [
  { ...base, state: 'queued', since: 1 },
  { ...base, state: 'assigned', node: 'n1', attempt: 1, assignedAt: 2 },
  { ...base, state: 'running', node: 'n1', attempt: 1, startedAt: 3, runMs: 4 },
  { ...base, state: 'paused', node: 'n1', attempt: 1, startedAt: 3, pausedAt: 5, pausedUntil: null, runMs: 4 },
  { ...base, state: 'done', node: 'n1', attempt: 1, outcome: 'failed', result: { outcome: 'failed', exitCode: 3 }, startedAt: 3, endedAt: 9, runMs: 6 },
  { ...base, state: 'done', node: null, attempt: 0, outcome: 'cancelled', result: { outcome: 'cancelled', by: 'ana' }, startedAt: null, endedAt: 9, runMs: 0 },
];
const run = { runId: 'r1', batchId: 'b1', batch: 'b', namespace: 'ns', job: 'j', attempt: 1, state: 'running', request: { cpus: 1, memoryGb: 2, gpus: 0 } };
const node = {
  name: 'n1', state: 'busy', owner: null, lastSeen: 1, paused: { since: 1, until: null }, agentVersion: '0.1.0',
  capabilities: { tags: ['python3'], physicalCores: 4, logicalCores: 8, memoryBytes: 8e9, gpus: [{ vendor: 'nvidia', model: 'x', memoryBytes: 1, index: 0 }] },
  capacity: { cpus: 4, memoryGb: 7.5, gpus: 1 }, free: { cpus: 3, memoryGb: 5.5, gpus: 1 }, runs: [run], current: run,
};
const archive = { state: 'low', freeBytes: 1, totalBytes: 2, minFreeBytes: 3, reason: 'low', checkedAt: 4, waiting: [{ job: 'j', since: 1 }] };

/** Valid answers, each with the schema and the shape that check it. */
const samples: { name: string; schema: { safeParse(v: unknown): { success: boolean; data?: unknown } }; shape: ShapeNode; value: unknown }[] = [
  { name: 'status', schema: api.StatusSchema, shape: shapes.StatusShape, value: { now: 1, batches: [batch], running: jobs.slice(1, 4).map((j) => ({ ...j, batchId: 'b1', namespace: 'ns', batch: 'b', owner: 'ana' })), nodes: [node], disk: { ns: 10 }, archive } },
  { name: 'batch detail', schema: api.BatchDetailSchema, shape: shapes.BatchDetailShape, value: { ...batch, jobs: jobs.map((j, i) => (i > 3 ? { ...j, bytes: 10, files: null } : j)) } },
  { name: 'nodes', schema: api.NodesSchema, shape: shapes.NodesShape, value: { nodes: [node, { ...node, name: 'n2', state: 'idle', runs: [], current: null, capacity: undefined }] } },
  { name: 'stored input', schema: api.StoredInputSchema, shape: shapes.StoredInputShape, value: { sha256: 'a', stored: 'already' } },
  { name: 'created batch', schema: api.CreatedBatchSchema, shape: shapes.CreatedBatchShape, value: { id: 'x', missing: ['a'], replaced: null, nodes: [{ node: 'n1', connected: true, ok: false, reasons: ['no'] }] } },
];

test('a shape gives zod\'s verdict and zod\'s output for every sample and every one-field corruption of it', () => {
  let compared = 0;
  let refused = 0;
  for (const s of samples) {
    const mutants = [s.value];
    for (const at of paths(s.value)) {
      for (const wrong of WRONG) mutants.push(replaced(s.value, at, wrong));
      // An unknown key next to the known ones: dropped, or refused by a strict object.
      mutants.push(replaced(s.value, [...at, 'unknownKey'], 1));
    }
    for (const m of mutants) {
      const viaZod = s.schema.safeParse(m);
      const viaShape = checkShape(s.shape, m);
      assert.equal(viaShape.success, viaZod.success, `${s.name}: ${JSON.stringify(m)}: zod says ${viaZod.success}, the shape ${viaShape.success}`);
      if (viaShape.success) assert.deepEqual(viaShape.data, viaZod.data, `${s.name}: same output as zod`);
      else refused++;
      compared++;
    }
  }
  assert.ok(compared > 2000 && refused > 1000, `${compared} compared, ${refused} refused`);
});

test('a malformed status is refused with the field and what was wrong', async () => {
  const status = samples[0].value as Record<string, unknown>;
  const cases: [unknown, RegExp][] = [
    [replaced(status, ['nodes', 0, 'capabilities', 'physicalCores'], 2.5), /: nodes\.0\.capabilities\.physicalCores: expected an integer, received 2\.5$/],
    [replaced(status, ['running', 1, 'state'], 'exploded'), /: running\.1\.state: expected one of the state values of the union, received "exploded"$/],
    [replaced(status, ['batches', 0, 'resources', 'disk_gb'], 1), /: batches\.0\.resources: unrecognized key "disk_gb"$/],
    [replaced(status, ['disk'], undefined), /: disk: expected object, received undefined$/],
    [[status], /: \(root\): expected object, received array$/],
  ];
  for (const [body, message] of cases) {
    const { transport } = fakeTransport({ 'GET /api/status': { status: 200, body } });
    const r = await new HeadClient({ base: 'http://head:1', token: 't', transport }).status();
    assert.equal(!r.ok && r.error.kind, 'bad-response');
    assert.match(!r.ok ? r.error.message : '', /^the head sent a status the client refuses: /);
    assert.match(!r.ok ? r.error.message : '', message);
  }
});

test('an unknown key is dropped from what the client hands on, as zod drops it', async () => {
  const status = samples[0].value as Record<string, unknown>;
  const { transport } = fakeTransport({ 'GET /api/status': { status: 200, body: { ...status, injected: '\x1b[2J', nodes: [{ ...node, secret: 1 }] } } });
  const r = await new HeadClient({ base: 'http://head:1', token: 't', transport }).status();
  assert.ok(r.ok);
  assert.equal('injected' in r.value, false);
  assert.equal('secret' in r.value.nodes[0], false);
});

test('a schema part no shape can express is refused by name, so that answer keeps zod', () => {
  assert.throws(() => shapeOf(api.ManifestSchema, 'ManifestSchema'), /ManifestSchema\.namespace: the string check custom has no shape/);
});
