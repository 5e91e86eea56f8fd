import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { JOBS_PER_CHUNK, LowdbStore } from '../../../../head/store/lowdb-store.ts';
import type { MetaDoc } from '../../../../head/state/types.ts';
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
    assert.deepEqual(listFiles(path.join(dir, 'state')), [
      'batches/b1/batch.json', 'batches/b1/jobs-0.json', 'batches/b1/jobs-1.json', 'batches/b1/jobs-2.json',
      'batches/b1/spec.json', 'meta.json',
    ].map((p) => path.join(...p.split('/'))));
    for (const f of listFiles(path.join(dir, 'state'))) JSON.parse(fs.readFileSync(path.join(dir, 'state', f), 'utf8'));
    await store.close();
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
});
