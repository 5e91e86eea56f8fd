/**
 * Conformance suite for {@link Store}: every implementation must pass it. It checks the durability
 * contract of head/store/store.ts from the outside, through a second store instance over the same
 * folder (what a restarted head would see), never through the implementation's files.
 *
 * The factory must return a store whose coalescing delay is longer than one test takes (a few
 * seconds is plenty), so "not on disk before flush()" is deterministic.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type { Job } from '../../../../shared/job/state.ts';
import type { BatchDoc, MetaDoc, RunRecord, UserRecord } from '../../../../head/state/types.ts';
import type { Store } from '../../../../head/store/store.ts';
import { endedRecord, submittedRecord } from '../../../../head/state/batch-record.ts';

export type StoreFactory = (dataDir: string) => Store;

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A fresh, empty data folder removed after the test file. */
export function tempDataDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'store-'));
  dirs.push(d);
  return d;
}

/** A batch of `jobs` queued jobs, shaped like what the head creates on submission. */
export function makeBatch(id: string, jobs: number): BatchDoc {
  const names = Array.from({ length: jobs }, (_, i) => `job${i}`);
  return {
    record: { id, namespace: 'ns', name: id, owner: 'alice', createdAt: 1000, phase: 'uploading', buildFailures: {} },
    spec: {
      namespace: 'ns', name: id, kind: 'shell', capabilities: [], resources: {}, maxRetries: 1, requiredMounts: [],
      initFiles: [], jobs: names.map((name) => ({ name, command: `echo ${name}`, files: [] })),
    },
    jobs: names.map((name): Job => ({ batchId: id, name, attempts: 0, retries: 0, status: { state: 'queued', since: 1000 } })),
  };
}

export function user(name: string): UserRecord {
  return { name, tokenHash: 'f'.repeat(64), admin: false, createdAt: 5 };
}

/** Mark job `i` as running on `node` (in memory only). */
function run(doc: BatchDoc, i: number, node: string): void {
  doc.jobs[i].attempts = 1;
  doc.jobs[i].status = { state: 'running', node, runId: `run-${i}-${node}`, attempt: 1, startedAt: 2000 + i, pausedMs: 0 };
}

/** Register the conformance tests for one Store implementation. */
export function storeConformance(name: string, factory: StoreFactory): void {
  /** What a restarted head would load from `dir`. */
  const reload = (dir: string) => factory(dir).load();
  const byId = (batches: BatchDoc[], id: string) => batches.find((b) => b.record.id === id);

  describe(`Store conformance: ${name}`, () => {
    test('an empty folder loads as no users, no nodes, no batches', async () => {
      const state = await factory(tempDataDir()).load();
      assert.deepEqual(state, { meta: { users: [], nodes: [] }, batches: [], runs: [] });
    });

    test('recordRuns is durable when it resolves, and survives a restart next to coalesced job states', async () => {
      const dir = tempDataDir();
      const store = factory(dir);
      await store.load();
      const a = makeBatch('b-a', 3);
      const b = makeBatch('b-b', 2);
      await store.createBatch(a);
      await store.createBatch(b);
      const r1: RunRecord = { runId: 'run-aaaaaaaa', batchId: 'b-a', job: 'j1', node: 'n1', attempt: 1, keyHash: 'a'.repeat(64), at: 10 };
      const r2: RunRecord = { runId: 'run-bbbbbbbb', batchId: 'b-b', job: 'j0', node: 'n2', attempt: 1, keyHash: null, at: 11 };
      const r3: RunRecord = { runId: 'run-cccccccc', batchId: 'b-a', job: 'j1', node: 'n2', attempt: 2, keyHash: 'c'.repeat(64), at: 12 };
      await store.recordRuns([r1, r2]);
      await store.recordRuns([r3]);
      // No flush, no close: as if the head were killed now.
      const { runs } = await reload(dir);
      assert.deepEqual(runs.filter((r) => r.batchId === 'b-a'), [r1, r3]);
      assert.deepEqual(runs.filter((r) => r.batchId === 'b-b'), [r2]);
      await store.deleteBatch('b-a');
      await store.recordRuns([{ ...r1, runId: 'run-dddddddd' }]);
      assert.deepEqual((await reload(dir)).runs, [r2], 'a deleted batch keeps no runs and gets none back');
      await store.close();
    });

    test('createBatch is durable when it resolves: a new instance loads the same record, spec and jobs', async () => {
      const dir = tempDataDir();
      const store = factory(dir);
      await store.load();
      const a = makeBatch('b-a', 1200);
      const b = makeBatch('b-b', 3);
      run(a, 1199, 'n1');
      await store.createBatch(a);
      await store.createBatch(b);
      const { batches } = await reload(dir);
      assert.equal(batches.length, 2);
      assert.deepEqual(byId(batches, 'b-a'), a);
      assert.deepEqual(byId(batches, 'b-b'), b);
      await store.close();
    });

    test('touchJob is coalesced: not on disk at once, on disk after flush, in every touched chunk', async () => {
      const dir = tempDataDir();
      const store = factory(dir);
      await store.load();
      const doc = makeBatch('b1', 1200);
      await store.createBatch(doc);
      run(doc, 3, 'n1');
      run(doc, 1100, 'n2'); // a different 500-job chunk
      store.touchJob(doc, 3);
      store.touchJob(doc, 1100);
      const before = byId((await reload(dir)).batches, 'b1');
      assert.equal(before?.jobs[3].status.state, 'queued', 'touchJob must not write synchronously');
      assert.equal(before?.jobs[1100].status.state, 'queued');
      await store.flush();
      const after = byId((await reload(dir)).batches, 'b1');
      assert.deepEqual(after?.jobs[3], doc.jobs[3]);
      assert.deepEqual(after?.jobs[1100], doc.jobs[1100]);
      assert.deepEqual(after, doc);
      await store.close();
    });

    test('a flush after touching one job of a 10,000-job batch writes only a small part of it', async () => {
      const dir = tempDataDir();
      const store = factory(dir);
      await store.load();
      const doc = makeBatch('big', 10_000);
      const b0 = store.bytesWritten();
      await store.createBatch(doc);
      const whole = store.bytesWritten() - b0;
      assert.ok(whole > 0, 'bytesWritten counts the batch creation');
      run(doc, 7_321, 'n1');
      store.touchJob(doc, 7_321);
      const b1 = store.bytesWritten();
      await store.flush();
      const delta = store.bytesWritten() - b1;
      assert.ok(delta > 0, 'the touched chunk was written');
      assert.ok(delta < whole / 10, `flush wrote ${delta} bytes for one job of a ${whole}-byte batch`);
      assert.deepEqual(byId((await reload(dir)).batches, 'big')?.jobs[7_321], doc.jobs[7_321]);
      const b2 = store.bytesWritten();
      await store.flush();
      assert.equal(store.bytesWritten(), b2, 'a flush with nothing dirty writes nothing');
      await store.close();
    });

    test('saveBatchRecordNow and saveMetaNow are durable when they resolve', async () => {
      const dir = tempDataDir();
      const store = factory(dir);
      await store.load();
      const doc = makeBatch('b1', 2);
      await store.createBatch(doc);
      doc.record = submittedRecord(doc.record, 4242);
      await store.saveBatchRecordNow(doc);
      const meta: MetaDoc = { users: [user('alice')], nodes: [] };
      await store.saveMetaNow(meta);
      const state = await reload(dir);
      assert.deepEqual(byId(state.batches, 'b1')?.record, doc.record);
      assert.deepEqual(state.meta, meta);
      await store.close();
    });

    test('touchBatchRecord and touchMeta are coalesced until flush', async () => {
      const dir = tempDataDir();
      const store = factory(dir);
      await store.load();
      const doc = makeBatch('b1', 2);
      await store.createBatch(doc);
      const meta: MetaDoc = { users: [user('bob')], nodes: [] };
      store.touchMeta(meta);
      doc.record = endedRecord(submittedRecord(doc.record, 4242), 'finished', 5000);
      store.touchBatchRecord(doc);
      let state = await reload(dir);
      assert.deepEqual(state.meta.users, []);
      assert.equal(byId(state.batches, 'b1')?.record.phase, 'uploading');
      await store.flush();
      state = await reload(dir);
      assert.deepEqual(state.meta, meta);
      assert.deepEqual(byId(state.batches, 'b1')?.record, doc.record);
      await store.close();
    });

    test('deleteBatch removes the batch and a pending or later touch does not bring it back', async () => {
      const dir = tempDataDir();
      const store = factory(dir);
      await store.load();
      const gone = makeBatch('gone', 700);
      const kept = makeBatch('kept', 2);
      await store.createBatch(gone);
      await store.createBatch(kept);
      run(gone, 600, 'n1');
      store.touchJob(gone, 600);
      store.touchBatchRecord(gone);
      await store.deleteBatch('gone');
      await store.flush();
      let state = await reload(dir);
      assert.deepEqual(state.batches.map((b) => b.record.id), ['kept']);
      // A stale reference touched after the delete (e.g. a late agent report) must not resurrect it.
      store.touchJob(gone, 1);
      store.touchBatchRecord(gone);
      await store.close();
      state = await reload(dir);
      assert.deepEqual(state.batches.map((b) => b.record.id), ['kept']);
      assert.deepEqual(state.batches[0], kept);
    });

    test('close() writes everything still dirty', async () => {
      const dir = tempDataDir();
      const store = factory(dir);
      await store.load();
      const doc = makeBatch('b1', 600);
      await store.createBatch(doc);
      run(doc, 550, 'n3');
      store.touchJob(doc, 550);
      doc.record = submittedRecord(doc.record, 4242);
      store.touchBatchRecord(doc);
      const meta: MetaDoc = { users: [user('carol')], nodes: [] };
      store.touchMeta(meta);
      await store.close();
      const state = await reload(dir);
      assert.deepEqual(state.meta, meta);
      assert.deepEqual(byId(state.batches, 'b1'), doc);
    });

    test('a reloaded store keeps working: changes after load persist', async () => {
      const dir = tempDataDir();
      const first = factory(dir);
      await first.load();
      await first.createBatch(makeBatch('b1', 10));
      await first.close();
      const second = factory(dir);
      const { batches } = await second.load();
      const doc = batches[0];
      run(doc, 9, 'n9');
      second.touchJob(doc, 9);
      await second.close();
      assert.deepEqual(byId((await reload(dir)).batches, 'b1'), doc);
    });
  });
}
