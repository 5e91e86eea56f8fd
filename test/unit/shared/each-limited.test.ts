import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eachLimited } from '../../../shared/each-limited.ts';

const tick = () => new Promise<void>((r) => setImmediate(r));

test('eachLimited runs every item, never more than the limit at once', async () => {
  let running = 0;
  let peak = 0;
  const done: number[] = [];
  await eachLimited(Array.from({ length: 20 }, (_, i) => i), 3, async (i) => {
    running++;
    peak = Math.max(peak, running);
    await tick();
    done.push(i);
    running--;
  });
  assert.equal(peak, 3);
  assert.deepEqual([...done].sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i));
  await eachLimited([], 8, async () => assert.fail('no items, no work'));
});

test('eachLimited: after the first failure nothing new starts, running items settle, the first error is thrown', async () => {
  const started: number[] = [];
  const settled: number[] = [];
  await assert.rejects(eachLimited(Array.from({ length: 10 }, (_, i) => i), 3, async (i) => {
    started.push(i);
    await tick();
    if (i === 1) throw new Error('first');
    if (i === 2) throw new Error('second');
    await tick();
    settled.push(i);
  }), /first/);
  assert.deepEqual(started, [0, 1, 2]);
  assert.deepEqual(settled, [0]);
});
