import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { JOBS_PER_CHUNK, LowdbStore } from '../../../../head/store/lowdb-store.ts';
import type { BatchDoc, MetaDoc } from '../../../../head/state/types.ts';
import type { Job } from '../../../../shared/job/state.ts';
import { endedRecord, submittedRecord } from '../../../../head/state/batch-record.ts';
import { makeBatch, storeConformance, tempDataDir, user } from './store-conformance.ts';

// A long coalescing delay keeps "not written before flush()" deterministic; the timer is unref'd.
storeConformance('LowdbStore', (dataDir) => new LowdbStore(dataDir, 60_000));

const batchDir = (dataDir: string, id: string) => path.join(dataDir, 'state', 'batches', id);

/** Every file under `root`, relative, sorted. */
function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(root, p));
    }
  };
  walk(root);
  return out.sort();
}

/** Create batches `ids` (1,200 jobs each, so three chunks) in a fresh data folder. */
async function seed(ids: string[]): Promise<string> {
  const dir = tempDataDir();
  const store = new LowdbStore(dir, 60_000);
  await store.load();
  for (const id of ids) await store.createBatch(makeBatch(id, 1200));
  await store.close();
  return dir;
}

const loadedIds = async (dir: string) => (await new LowdbStore(dir).load()).batches.map((b) => b.record.id);

describe('LowdbStore', () => {
  test('the timer writes coalesced changes by itself', async () => {
    const dir = tempDataDir();
    const store = new LowdbStore(dir, 20);
    await store.load();
    const meta: MetaDoc = { users: [user('dora')], nodes: [] };
    store.touchMeta(meta);
    const deadline = Date.now() + 3000;
    let loaded: MetaDoc = { users: [], nodes: [] };
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
      loaded = (await new LowdbStore(dir).load()).meta;
      if (loaded.users.length > 0) break;
    }
    assert.deepEqual(loaded, meta);
    await store.close();
  });

  test('layout: one document per concern and chunks of JOBS_PER_CHUNK jobs', async () => {
    assert.equal(JOBS_PER_CHUNK, 500);
    const dir = await seed(['b1']);
    assert.deepEqual(listFiles(batchDir(dir, 'b1')), ['batch.json', 'jobs-0.json', 'jobs-1.json', 'jobs-2.json', 'spec.json']);
    const chunk = JSON.parse(fs.readFileSync(path.join(batchDir(dir, 'b1'), 'jobs-2.json'), 'utf8')) as { jobs: unknown[] };
    assert.equal(chunk.jobs.length, 200);
  });

  test('a batch folder without batch.json (creation never completed) is ignored', async () => {
    const dir = await seed(['half', 'whole']);
    fs.rmSync(path.join(batchDir(dir, 'half'), 'batch.json'));
    assert.deepEqual(await loadedIds(dir), ['whole']);
  });

  test('a batch missing a jobs chunk is ignored', async () => {
    const dir = await seed(['short', 'whole']);
    fs.rmSync(path.join(batchDir(dir, 'short'), 'jobs-1.json'));
    assert.deepEqual(await loadedIds(dir), ['whole']);
  });

  for (const doc of ['batch.json', 'spec.json', 'jobs-1.json']) {
    test(`a corrupted ${doc} skips that batch and the others still load`, async () => {
      const dir = await seed(['a', 'broken', 'z']);
      fs.writeFileSync(path.join(batchDir(dir, 'broken'), doc), '{"jobs": [ {"batchId": "bro');
      assert.deepEqual(await loadedIds(dir), ['a', 'z']);
    });
  }

  test('a stray file in the batches folder does not stop loading', async () => {
    const dir = await seed(['a']);
    fs.writeFileSync(path.join(dir, 'state', 'batches', 'notes.txt'), 'hello');
    assert.deepEqual(await loadedIds(dir), ['a']);
  });

  test('writes are atomic: after flush there are only the final documents, no temp files', async () => {
    const dir = tempDataDir();
    const store = new LowdbStore(dir, 60_000);
    await store.load();
    const doc = makeBatch('b1', 1200);
    await store.createBatch(doc);
    for (let i = 0; i < 1200; i += 97) {
      doc.jobs[i].status = { state: 'assigned', node: 'n', runId: `r${i}`, attempt: 1, at: i };
      store.touchJob(doc, i);
    }
    store.touchMeta({ users: [user('eve')], nodes: [] });
    await store.flush();
    await store.saveBatchRecordNow(doc);
    const files = [
      'batches/b1/batch.json', 'batches/b1/jobs-0.json', 'batches/b1/jobs-1.json', 'batches/b1/jobs-2.json',
      'batches/b1/spec.json', 'meta.json',
    ].map((p) => path.join(...p.split('/')));
    assert.deepEqual(listFiles(path.join(dir, 'state')), [...files.slice(0, 4), path.join('batches', 'b1', 'jobs.log'), ...files.slice(4)].sort());
    for (const f of files) JSON.parse(fs.readFileSync(path.join(dir, 'state', f), 'utf8'));
    for (const line of fs.readFileSync(path.join(batchDir(dir, 'b1'), 'jobs.log'), 'utf8').trim().split('\n')) JSON.parse(line);
    await store.close();
    assert.deepEqual(listFiles(path.join(dir, 'state')), files, 'close folds the job log into the chunks');
  });

  test('a failed flush does not stop later flushes, and the failed document is retried', async () => {
    const dir = tempDataDir();
    const store = new LowdbStore(dir, 60_000);
    await store.load();
    const doc = makeBatch('b1', 10);
    await store.createBatch(doc);
    // Make the chunk's folder unwritable in a way that also fails for root: a file in its place.
    const bdir = batchDir(dir, 'b1');
    const saved = path.join(dir, 'saved-b1');
    fs.renameSync(bdir, saved);
    fs.writeFileSync(bdir, 'not a folder');
    doc.jobs[4].status = { state: 'assigned', node: 'n', runId: 'r4', attempt: 1, at: 9 };
    store.touchJob(doc, 4);
    await assert.rejects(store.flush());
    // The disk recovers.
    fs.rmSync(bdir);
    fs.renameSync(saved, bdir);
    const meta: MetaDoc = { users: [user('frank')], nodes: [] };
    store.touchMeta(meta);
    await store.flush();
    const state = await new LowdbStore(dir).load();
    assert.deepEqual(state.meta, meta, 'a flush after a failed one still writes');
    assert.deepEqual(state.batches[0]?.jobs[4], doc.jobs[4], 'the document whose write failed is written later');
    await store.close();
  });

  describe('job log', () => {
    const assign = (doc: BatchDoc, i: number, at: number) => { doc.jobs[i].status = { state: 'assigned', node: 'n', runId: `r${i}-${at}`, attempt: 1, at }; };

    test('a flush appends one line per changed job instead of rewriting its chunk', async () => {
      const dir = tempDataDir();
      const store = new LowdbStore(dir, 60_000);
      await store.load();
      const doc = makeBatch('b1', 1200);
      await store.createBatch(doc);
      const chunkBefore = fs.readFileSync(path.join(batchDir(dir, 'b1'), 'jobs-0.json'), 'utf8');
      assign(doc, 3, 1);
      assign(doc, 700, 1);
      store.touchJob(doc, 3);
      store.touchJob(doc, 3);
      store.touchJob(doc, 700);
      const b0 = store.bytesWritten();
      await store.flush();
      const lines = fs.readFileSync(path.join(batchDir(dir, 'b1'), 'jobs.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as [number, Job]);
      assert.deepEqual(lines, [[3, doc.jobs[3]], [700, doc.jobs[700]]], 'one line per changed job, even if touched twice');
      assert.equal(store.bytesWritten() - b0, lines.reduce((n, l) => n + JSON.stringify(l).length + 1, 0));
      assert.equal(fs.readFileSync(path.join(batchDir(dir, 'b1'), 'jobs-0.json'), 'utf8'), chunkBefore, 'the chunk is not rewritten');
      await store.close();
    });

    test('a log left by a crash is applied on load (a torn last line skipped) and folded into the chunks', async () => {
      const dir = tempDataDir();
      const store = new LowdbStore(dir, 60_000);
      await store.load();
      const doc = makeBatch('b1', 1200);
      await store.createBatch(doc);
      assign(doc, 5, 1);
      store.touchJob(doc, 5);
      await store.flush();
      assign(doc, 5, 2);
      assign(doc, 1100, 2);
      store.touchJob(doc, 5);
      store.touchJob(doc, 1100);
      await store.flush();
      // Killed mid-append: half a line of a third change.
      fs.appendFileSync(path.join(batchDir(dir, 'b1'), 'jobs.log'), '[6,{"batchId":"b1","na');
      const loaded = (await new LowdbStore(dir).load()).batches[0];
      assert.deepEqual(loaded, doc, 'last line of each job wins; the torn line changes nothing');
      assert.equal(fs.existsSync(path.join(batchDir(dir, 'b1'), 'jobs.log')), false, 'folded on load');
      assert.deepEqual((await new LowdbStore(dir).load()).batches[0], doc, 'the chunks alone hold it now');
    });

    test('a line that does not fit its position (out of range, another job\'s name) is ignored', async () => {
      const dir = tempDataDir();
      const store = new LowdbStore(dir, 60_000);
      await store.load();
      const doc = makeBatch('b1', 10);
      await store.createBatch(doc);
      await store.close();
      const bad = { ...doc.jobs[2], status: { state: 'queued', since: 99 } };
      fs.writeFileSync(path.join(batchDir(dir, 'b1'), 'jobs.log'), [[2, { ...bad, name: 'job3' }], [10, bad], [-1, bad], ['2', bad], [2, null]].map((l) => JSON.stringify(l)).join('\n') + '\n');
      assert.deepEqual((await new LowdbStore(dir).load()).batches[0], doc);
    });

    test('the log is folded into the chunks when it outgrows them, and when the batch ends', async () => {
      const dir = tempDataDir();
      const store = new LowdbStore(dir, 60_000);
      await store.load();
      const doc = makeBatch('b1', 1200);
      await store.createBatch(doc);
      const log = path.join(batchDir(dir, 'b1'), 'jobs.log');
      let largest = 0;
      for (let round = 0; round < 2000; round++) {
        assign(doc, round % 20, round);
        store.touchJob(doc, round % 20);
        await store.flush();
        largest = Math.max(largest, fs.existsSync(log) ? fs.statSync(log).size : 0);
      }
      const chunk = fs.statSync(path.join(batchDir(dir, 'b1'), 'jobs-0.json')).size;
      assert.ok(largest < 3 * chunk, `the log (at most ${largest} B) stays within a few times its chunk (${chunk} B)`);
      assert.deepEqual((await new LowdbStore(dir).load()).batches[0], doc);
      doc.record = endedRecord(submittedRecord(doc.record, 1000), 'finished', 2000);
      store.touchBatchRecord(doc);
      assign(doc, 1199, 1);
      store.touchJob(doc, 1199);
      await store.flush();
      assert.equal(fs.existsSync(log), false, 'an ended batch keeps no log');
      assert.deepEqual((await new LowdbStore(dir).load()).batches[0], doc);
      await store.close();
    });

    test('a 10,000-job batch run through assigned, running and done costs the store well under 2 KB per job', async () => {
      const dir = tempDataDir();
      const store = new LowdbStore(dir, 60_000);
      await store.load();
      const doc = makeBatch('b1', 10_000);
      await store.createBatch(doc);
      const b0 = store.bytesWritten();
      // Slow progress (the worst case): 20 jobs per flush, each change in a flush of its own.
      for (let first = 0; first < 10_000; first += 20) {
        const group = Array.from({ length: 20 }, (_, k) => first + k);
        for (const i of group) { assign(doc, i, 1); store.touchJob(doc, i); }
        await store.flush();
        for (const i of group) { doc.jobs[i].status = { state: 'running', node: 'n', runId: `r${i}-1`, attempt: 1, startedAt: 2, pausedMs: 0 }; store.touchJob(doc, i); }
        await store.flush();
        for (const i of group) {
          doc.jobs[i].status = { state: 'done', result: { outcome: 'succeeded', exitCode: 0 }, node: 'n', runId: `r${i}-1`, attempt: 1, startedAt: 2, endedAt: 3, runMs: 1 };
          store.touchJob(doc, i);
        }
        await store.flush();
      }
      doc.record = endedRecord(submittedRecord(doc.record, 1000), 'finished', 2000);
      store.touchBatchRecord(doc);
      await store.close();
      const perJob = (store.bytesWritten() - b0) / 10_000;
      assert.ok(perJob < 1500, `${perJob.toFixed(0)} B per job`);
      assert.deepEqual((await new LowdbStore(dir).load()).batches[0], doc);
    });
  });

  test('data folders of earlier layouts load and keep working: 0.1 (no journal, no job log) and the last one (runs.jsonl, torn by a crash)', async () => {
    for (const fixture of ['v0.1-lab', 'v0.1-inflight']) {
      const dir = tempDataDir();
      fs.cpSync(path.join(import.meta.dirname, '../../../fixtures', fixture, 'head/state'), path.join(dir, 'state'), { recursive: true });
      const [id] = fs.readdirSync(path.join(dir, 'state', 'batches'));
      // The previous layout's journal, left torn by a SIGKILL mid-append.
      const earlier = { runId: 'run-earlier', batchId: id, job: 'x', node: 'ws1', attempt: 1, keyHash: 'e'.repeat(64), at: 1 };
      fs.writeFileSync(path.join(batchDir(dir, id), 'runs.jsonl'), JSON.stringify(earlier) + '\n{"runId":"run-to');
      const store = new LowdbStore(dir, 60_000);
      const loaded = await store.load();
      assert.deepEqual(loaded.runs, [earlier], fixture);
      const doc = loaded.batches[0];
      assert.ok(doc && doc.jobs.length > 0, `${fixture}: its batch loads`);
      const later = { ...earlier, runId: 'run-later', attempt: 2 };
      await store.recordRuns([later]);
      doc.jobs[0] = { ...doc.jobs[0], status: { state: 'queued', since: 42 } };
      store.touchJob(doc, 0);
      await store.flush();
      const reloaded = await new LowdbStore(dir).load();
      assert.deepEqual(reloaded.runs, [earlier, later], `${fixture}: the next record is not glued to the torn line`);
      assert.deepEqual(reloaded.batches[0].jobs, doc.jobs, `${fixture}: a change after the upgrade persists`);
      await store.close();
    }
  });
});
