/** Upload retries: a full head disk (507) never gives the result up; other refusals do, after `times`. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { retryUpload } from '../../../../electron/agent/upload-retry.ts';

function failing(errors: string[]) {
  let calls = 0;
  return { fn: async () => { const e = errors[calls++]; if (e) throw new Error(e); return 'sent'; }, calls: () => calls };
}

test('507 (disk full) is retried without limit, with delays growing to 30 s', async () => {
  const f = failing(Array.from({ length: 12 }, () => 'upload /x failed: HTTP 507 the head\'s disk is full'));
  const waits: number[] = [];
  const logs: string[] = [];
  assert.equal(await retryUpload(f.fn, 5, (l) => logs.push(l), async (ms) => { waits.push(ms); }), 'sent');
  assert.equal(f.calls(), 13);
  assert.deepEqual(waits.slice(0, 7), [1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  assert.match(logs[0], /archive disk is full; keeping the result here/);
});

test('other refusals give up after `times`; an unreachable head is retried without limit', async () => {
  const refused = failing(Array.from({ length: 9 }, () => 'upload /x failed: HTTP 400 bad'));
  await assert.rejects(retryUpload(refused.fn, 5, () => {}, async () => {}), /HTTP 400/);
  assert.equal(refused.calls(), 5);
  const down = failing(Array.from({ length: 20 }, () => 'connect ECONNREFUSED 127.0.0.1:1'));
  assert.equal(await retryUpload(down.fn, 5, () => {}, async () => {}), 'sent');
});
