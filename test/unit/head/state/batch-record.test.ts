/**
 * Batch records as a tagged union: the moves between phases return new records that carry only
 * their phase's data, and stored records of every version (0.1's flat ones from the fixtures, the
 * flat layout written up to this change, the tagged one) load into the union.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { endedRecord, inputsCleanedRecord, readBatchRecord, reopenedRecord, submittedAtOf, submittedRecord, uploadingRecord, type StoredBatchRecord } from '../../../../head/state/batch-record.ts';
import { LowdbStore } from '../../../../head/store/lowdb-store.ts';

const BASE = { id: 'b1', namespace: 'ns', name: 'sweep', owner: 'alice', createdAt: 1000, buildFailures: {} };
const FIXTURES = path.resolve(import.meta.dirname, '../../../fixtures');

test('a batch goes uploading → active → ended → active (retry) → ended; each record carries only its phase\'s fields', () => {
  const up = uploadingRecord(BASE);
  assert.deepEqual(up, { ...BASE, phase: 'uploading' });
  assert.equal(submittedAtOf(up), null);
  const active = submittedRecord(up, 2000);
  assert.deepEqual(active, { ...BASE, phase: 'active', submittedAt: 2000 });
  const ended = endedRecord(active, 'finished', 9000);
  assert.deepEqual(ended, { ...BASE, phase: 'ended', submittedAt: 2000, outcome: 'finished', endedAt: 9000, inputsCleaned: false });
  const cleaned = inputsCleanedRecord(ended);
  assert.equal(cleaned.inputsCleaned, true);
  assert.equal(ended.inputsCleaned, false, 'the old record is not changed');
  const again = reopenedRecord(cleaned, { j3: 2 });
  assert.deepEqual(again, { ...BASE, phase: 'active', submittedAt: 2000, retried: { j3: 2 } }, 'no outcome, end or clean-up left over from the first end');
  const endedAgain = endedRecord(again, 'cancelled', 12_000);
  assert.deepEqual(endedAgain, { ...BASE, retried: { j3: 2 }, phase: 'ended', submittedAt: 2000, outcome: 'cancelled', endedAt: 12_000, inputsCleaned: false });
  assert.deepEqual(active, { ...BASE, phase: 'active', submittedAt: 2000 }, 'ending did not touch the active record');
});

test('the flat records of the layout before the union load into it', () => {
  const flat = (over: Partial<StoredBatchRecord>): StoredBatchRecord =>
    ({ ...BASE, submittedAt: null, endedAt: null, outcome: null, inputsCleaned: false, phase: 'uploading', ...over });
  assert.deepEqual(readBatchRecord(flat({})), { ...BASE, phase: 'uploading' });
  assert.deepEqual(readBatchRecord(flat({ phase: 'active', submittedAt: 1500 })), { ...BASE, phase: 'active', submittedAt: 1500 });
  assert.deepEqual(readBatchRecord(flat({ phase: 'ended', submittedAt: 1500, endedAt: 8000, outcome: 'build-failed', inputsCleaned: true, retried: { a: 1 } })),
    { ...BASE, retried: { a: 1 }, phase: 'ended', submittedAt: 1500, outcome: 'build-failed', endedAt: 8000, inputsCleaned: true });
  // A retried batch kept outcome/endedAt null while active again: nothing of them survives.
  assert.deepEqual(readBatchRecord(flat({ phase: 'active', submittedAt: 1500, retried: { a: 1 } })), { ...BASE, retried: { a: 1 }, phase: 'active', submittedAt: 1500 });
});

test('a damaged stored record still loads with the best guess for what its phase needs', () => {
  assert.deepEqual(readBatchRecord({ ...BASE, phase: 'ended', outcome: 'exploded', endedAt: null, submittedAt: null } as StoredBatchRecord),
    { ...BASE, phase: 'ended', submittedAt: 1000, outcome: 'finished', endedAt: 1000, inputsCleaned: false });
  assert.deepEqual(readBatchRecord({ ...BASE, phase: 'active', buildFailures: undefined } as unknown as StoredBatchRecord), { ...BASE, phase: 'active', submittedAt: 1000 });
});

test('the tagged layout reads back unchanged', () => {
  const records = [uploadingRecord(BASE), submittedRecord(uploadingRecord(BASE), 2000), inputsCleanedRecord(endedRecord(submittedRecord(uploadingRecord(BASE), 2000), 'finished', 3000))];
  for (const r of records) assert.deepEqual(readBatchRecord(JSON.parse(JSON.stringify(r))), r);
});

test('head data folders of 0.1 load through the store as tagged records', async () => {
  const load = async (fixture: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'records-'));
    fs.cpSync(path.join(FIXTURES, fixture, 'head', 'state'), path.join(dir, 'state'), { recursive: true });
    const store = new LowdbStore(dir, 60_000);
    const state = await store.load();
    await store.close();
    return state.batches.map((b) => b.record);
  };
  assert.deepEqual(await load('v0.1-lab'), [{
    id: 'mx2hyaihwmr5f2', namespace: 'lab', name: 'before-upgrade', owner: 'admin', createdAt: 1795996512953, buildFailures: {},
    phase: 'ended', submittedAt: 1795996513049, outcome: 'finished', endedAt: 1795996513661, inputsCleaned: true,
  }]);
  assert.deepEqual(await load('v0.1-inflight'), [{
    id: 'mx2jww0ul0vmob', namespace: 'lab', name: 'in-flight', owner: 'admin', createdAt: 1795999806750, buildFailures: {},
    phase: 'active', submittedAt: 1795999806805,
  }]);
});

test('a record written in the tagged layout and one in the flat layout sit side by side in one data folder', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'records-'));
  const store = new LowdbStore(dir, 60_000);
  await store.load();
  const spec = { namespace: 'ns', name: 'x', kind: 'shell' as const, capabilities: [], resources: {}, maxRetries: 0, requiredMounts: [], initFiles: [], jobs: [{ name: 'j', command: 'true', files: [] }] };
  const jobs = [{ batchId: 'new', name: 'j', attempts: 0, retries: 0, status: { state: 'queued' as const, since: 0 } }];
  const tagged = endedRecord(submittedRecord(uploadingRecord({ ...BASE, id: 'new' }), 2000), 'finished', 3000);
  await store.createBatch({ record: tagged, spec, jobs });
  await store.createBatch({ record: uploadingRecord({ ...BASE, id: 'old' }), spec, jobs: [{ ...jobs[0], batchId: 'old' }] });
  await store.close();
  // Rewrite 'old' as the previous version wrote it.
  fs.writeFileSync(path.join(dir, 'state', 'batches', 'old', 'batch.json'), JSON.stringify({ ...BASE, id: 'old', submittedAt: 2500, phase: 'ended', endedAt: 4000, outcome: 'cancelled', inputsCleaned: false }));
  const again = new LowdbStore(dir, 60_000);
  const state = await again.load();
  await again.close();
  assert.deepEqual(state.batches.map((b) => b.record), [
    tagged,
    { ...BASE, id: 'old', phase: 'ended', submittedAt: 2500, outcome: 'cancelled', endedAt: 4000, inputsCleaned: false },
  ]);
});
