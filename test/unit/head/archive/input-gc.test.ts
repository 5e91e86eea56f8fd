import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { collectInputs, liveInputs } from '../../../../head/archive/input-gc.ts';
import type { BatchDoc, BatchPhase } from '../../../../head/state/types.ts';
import { readBatchRecord } from '../../../../head/state/batch-record.ts';

const sha = (c: string) => c.repeat(64);
const file = (c: string) => ({ alias: `${c}.txt`, sha256: sha(c), size: 1 });

function doc(id: string, phase: BatchPhase, inputs: string[]): BatchDoc {
  return {
    record: readBatchRecord({ id, namespace: 'ns', name: id, owner: 'u', createdAt: 0, submittedAt: 0, phase, endedAt: 0, outcome: 'finished', buildFailures: {}, inputsCleaned: false }),
    spec: { namespace: 'ns', name: id, kind: 'shell', capabilities: [], resources: {}, maxRetries: 0, requiredMounts: [], initFiles: [file(inputs[0])], jobs: inputs.slice(1).map((c, i) => ({ name: `j${i}`, command: 'true', files: [file(c)] })) },
    jobs: [],
  };
}

test('inputs named by an uploading or active batch are kept; the rest and only sha256 names are removed', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gc-'));
  for (const c of ['a', 'b', 'c', 'd']) fs.writeFileSync(path.join(root, sha(c)), c.repeat(10));
  fs.writeFileSync(path.join(root, `${sha('e')}.partial`), 'upload in progress');
  fs.writeFileSync(path.join(root, 'README'), 'not an input');
  const batches = [doc('ended', 'ended', ['a', 'b']), doc('active', 'active', ['b', 'c']), doc('uploading', 'uploading', ['d', 'd'])];
  assert.deepEqual([...liveInputs(batches)].sort(), [sha('b'), sha('c'), sha('d')]);
  const gc = await collectInputs(root, batches);
  assert.deepEqual(gc.removed, [sha('a')]);
  assert.equal(gc.bytes, 10);
  assert.deepEqual(fs.readdirSync(root).sort(), [sha('b'), sha('c'), sha('d'), `${sha('e')}.partial`, 'README'].sort());
  assert.deepEqual(gc.cleaned.map((d) => d.record.id), ['ended']);
  assert.equal(batches[0].record.phase === 'ended' && batches[0].record.inputsCleaned, true);
  assert.equal((await collectInputs(root, batches)).cleaned.length, 0, 'a batch is marked cleaned once');
  assert.deepEqual((await collectInputs(path.join(root, 'missing'), batches)).removed, []);
});

test('a batch registered while the clean-up runs keeps the inputs it names', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gc-race-'));
  fs.writeFileSync(path.join(root, sha('f')), 'x');
  const batches: BatchDoc[] = [doc('old', 'ended', ['f'])];
  let asked = 0;
  // The second look (right before deleting) sees a new uploading batch that names the file.
  const gc = await collectInputs(root, () => (++asked === 1 ? batches : [...batches, doc('new', 'uploading', ['f'])]));
  assert.deepEqual(gc.removed, []);
  assert.ok(fs.existsSync(path.join(root, sha('f'))));
  assert.ok(asked >= 2);
});

test('an input no batch names is kept during the grace period and removed after it', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gc-orphan-'));
  fs.writeFileSync(path.join(root, sha('e')), 'orphan');
  fs.writeFileSync(path.join(root, sha('a')), 'of an ended batch');
  const batches = [doc('ended', 'ended', ['a'])];
  const written = fs.statSync(path.join(root, sha('e'))).mtimeMs;
  const young = await collectInputs(root, batches, { orphanGraceMs: 3_600_000, now: written + 1000 });
  assert.deepEqual(young.removed, [sha('a')], 'the ended batch\'s input goes at once, the young orphan stays');
  assert.ok(fs.existsSync(path.join(root, sha('e'))));
  const old = await collectInputs(root, batches, { orphanGraceMs: 3_600_000, now: written + 3_600_001 });
  assert.deepEqual(old.removed, [sha('e')]);
});

test('an ended batch with a failed job keeps its inputs for a retry until the keep time is over', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gc-'));
  for (const c of ['a', 'b', 'c']) fs.writeFileSync(path.join(root, sha(c)), c);
  const failed = doc('failed', 'ended', ['a', 'b']);
  const endAt1000 = (d: BatchDoc) => { if (d.record.phase === 'ended') d.record = { ...d.record, endedAt: 1000 }; };
  endAt1000(failed);
  failed.jobs = [{ batchId: 'failed', name: 'j0', attempts: 1, retries: 0, status: { state: 'done', result: { outcome: 'failed', exitCode: 3 }, node: 'n', attempt: 1, startedAt: 0, endedAt: 1000, runMs: 1000 } } as BatchDoc['jobs'][number]];
  const fine = doc('fine', 'ended', ['c', 'c']);
  endAt1000(fine);
  const within = await collectInputs(root, [failed, fine], { retryKeepMs: 500, now: 1400 });
  assert.deepEqual(within.removed, [sha('c')], 'only the batch without failures loses its inputs');
  assert.deepEqual(within.cleaned.map((d) => d.record.id), ['fine']);
  const later = await collectInputs(root, [failed, fine], { retryKeepMs: 500, now: 1600 });
  assert.deepEqual(later.removed.sort(), [sha('a'), sha('b')]);
  assert.deepEqual(later.cleaned.map((d) => d.record.id), ['failed']);
});
