import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { readJournal, RUN_JOURNAL, RunJournal } from '../../../../head/store/run-journal.ts';
import type { RunRecord } from '../../../../head/state/types.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'run-journal-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

const rec = (batchId: string, i: number): RunRecord => ({ runId: `r-${batchId}-${i}`, batchId, job: `j${i}`, node: 'n1', attempt: 1, keyHash: 'a'.repeat(64), at: i });

function journalIn(dir: string) {
  let bytes = 0;
  const j = new RunJournal((id) => path.join(dir, id), (n) => { bytes += n; });
  return { j, bytes: () => bytes };
}

test('appends made while a sync is in flight go out together, each resolving once on disk', async () => {
  const dir = path.join(root, 'group');
  const { j, bytes } = journalIn(dir);
  const records = Array.from({ length: 200 }, (_, i) => rec('b1', i));
  let resolved = 0;
  await Promise.all(records.map((r) => j.append([r]).then(async () => {
    resolved++;
    // Resolved means readable by a restarted head.
    const onDisk = await readJournal(path.join(dir, 'b1', RUN_JOURNAL));
    assert.ok(onDisk.some((x) => x.runId === r.runId), `${r.runId} on disk when its append resolved`);
  })));
  assert.equal(resolved, 200);
  assert.deepEqual(await readJournal(path.join(dir, 'b1', RUN_JOURNAL)), records, 'every record once, in order');
  assert.ok(j.syncs < 200 / 4, `200 concurrent appends grouped into few syncs (got ${j.syncs})`);
  assert.equal(bytes(), fs.statSync(path.join(dir, 'b1', RUN_JOURNAL)).size);
  await j.close();
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

test('forget waits for appends in flight; a later append opens the file again', async () => {
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
