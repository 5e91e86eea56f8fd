import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { readJournal, RUN_JOURNAL, RunJournal, SYNC_DELAY_MS } from '../../../../head/store/run-journal.ts';
import type { RunRecord } from '../../../../head/state/types.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'run-journal-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

const rec = (batchId: string, i: number): RunRecord => ({ runId: `r-${batchId}-${i}`, batchId, job: `j${i}`, node: 'n1', attempt: 1, keyHash: 'a'.repeat(64), at: i });

function journalIn(dir: string) {
  let bytes = 0;
  const j = new RunJournal((id) => path.join(dir, id), (n) => { bytes += n; });
  return { j, bytes: () => bytes };
}

test('an append resolves once its lines are in the file (a restarted head reads them); the file is synced once per window after', async () => {
  const dir = path.join(root, 'group');
  const { j, bytes } = journalIn(dir);
  const records = Array.from({ length: 200 }, (_, i) => rec('b1', i));
  const appends = records.map((r) => j.append([r]));
  await Promise.all(appends);
  // Resolved without a timer having run: no append waited for the disk.
  assert.equal(j.syncs, 0, 'no append waits for the disk');
  // Resolved means readable by a restarted head (a crash of the head process loses nothing).
  assert.deepEqual(await readJournal(path.join(dir, 'b1', RUN_JOURNAL)), records, 'every record once, in order');
  assert.equal(bytes(), fs.statSync(path.join(dir, 'b1', RUN_JOURNAL)).size);
  // The background sync: one for the 200 lines, once the window has passed.
  for (let i = 0; i < 400 && j.syncs === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(j.syncs, 1, `one sync for the window's 200 appends (${j.syncs})`);
  await j.append([rec('b1', 200)]);
  const t0 = Date.now();
  for (let i = 0; i < 400 && j.syncs === 1; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(j.syncs, 2, 'a line written later is synced in the next window');
  assert.ok(Date.now() - t0 >= SYNC_DELAY_MS - 20, 'not before its window');
  await j.close();
  assert.equal(j.syncs, 2, 'nothing left to sync at close');
});

test('closing (the head stops) and forgetting (the batch is deleted) sync what is written at once', async () => {
  const dir = path.join(root, 'close');
  const { j } = journalIn(dir);
  await j.append([rec('b1', 0), rec('b2', 0)]);
  await j.forget('b1');
  assert.equal(j.syncs, 1);
  await j.close();
  assert.equal(j.syncs, 2);
  assert.deepEqual(await readJournal(path.join(dir, 'b2', RUN_JOURNAL)), [rec('b2', 0)]);
});

test('a line torn by a crash is skipped, and the next append starts on a new line', async () => {
  const dir = path.join(root, 'torn');
  fs.mkdirSync(path.join(dir, 'b1'), { recursive: true });
  const file = path.join(dir, 'b1', RUN_JOURNAL);
  fs.writeFileSync(file, JSON.stringify(rec('b1', 0)) + '\n' + JSON.stringify(rec('b1', 1)).slice(0, 30));
  const { j } = journalIn(dir);
  await j.append([rec('b1', 2), rec('b1', 3)]);
  assert.deepEqual(await readJournal(file), [rec('b1', 0), rec('b1', 2), rec('b1', 3)]);
  await j.close();
});

test('records of several batches go to their own files, with more batches than files kept open', async () => {
  const dir = path.join(root, 'many');
  const { j } = journalIn(dir);
  const ids = Array.from({ length: 50 }, (_, i) => `b${i}`);
  for (let round = 0; round < 3; round++) {
    await Promise.all(ids.map((id) => j.append([rec(id, round)])));
  }
  await j.append([rec('b7', 3), rec('b8', 3), rec('b7', 4)]);
  for (const id of ids) {
    const want = [0, 1, 2, ...(id === 'b7' ? [3, 4] : id === 'b8' ? [3] : [])].map((i) => rec(id, i));
    assert.deepEqual(await readJournal(path.join(dir, id, RUN_JOURNAL)), want, id);
  }
  await j.close();
});

test('forget closes the file; a later append opens it again', async () => {
  const dir = path.join(root, 'forget');
  const { j } = journalIn(dir);
  const pending = j.append([rec('b1', 0)]);
  await j.forget('b1');
  await pending;
  assert.deepEqual(await readJournal(path.join(dir, 'b1', RUN_JOURNAL)), [rec('b1', 0)]);
  await j.append([rec('b1', 1)]);
  assert.deepEqual(await readJournal(path.join(dir, 'b1', RUN_JOURNAL)), [rec('b1', 0), rec('b1', 1)]);
  await j.close();
});

test('a failed append rejects its waiters only; the next one succeeds', async () => {
  const dir = path.join(root, 'fail');
  // The batch folder is a file: mkdir fails.
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'b1'), 'not a folder');
  const { j } = journalIn(dir);
  await assert.rejects(j.append([rec('b1', 0)]));
  fs.rmSync(path.join(dir, 'b1'));
  await j.append([rec('b1', 1)]);
  assert.deepEqual(await readJournal(path.join(dir, 'b1', RUN_JOURNAL)), [rec('b1', 1)]);
  await j.close();
});
