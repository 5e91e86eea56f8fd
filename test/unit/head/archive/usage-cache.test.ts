/** status's disk usage: one walk at first, then the last answer at once and a background refresh when stale. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageCache } from '../../../../head/archive/usage-cache.ts';

function setup(walkMs = 0) {
  let now = 1000;
  let walks = 0;
  let value = 1;
  const release: (() => void)[] = [];
  const cache = new UsageCache(async () => {
    walks++;
    const v = value;
    now += walkMs;
    await new Promise<void>((r) => release.push(r));
    return v;
  }, 5000, () => now);
  return {
    cache, set: (v: number) => { value = v; }, advance: (ms: number) => { now += ms; },
    walks: () => walks, finish: async () => { release.splice(0).forEach((r) => r()); await new Promise((r) => setImmediate(r)); },
  };
}

test('the first request waits for a walk; later ones answer at once from it', async () => {
  const s = setup();
  const first = s.cache.get();
  const second = s.cache.get();
  await s.finish();
  assert.equal(await first, 1);
  assert.equal(await second, 1);
  assert.equal(s.walks(), 1, 'two requests during one walk share it');
  s.set(2);
  assert.equal(await s.cache.get(), 1);
  assert.equal(s.walks(), 1, 'fresh: no new walk');
});

test('stale by age or by a change: the last answer is served and one walk refreshes it', async () => {
  const s = setup();
  const first = s.cache.get();
  await s.finish();
  await first;
  s.set(2);
  s.cache.invalidate();
  assert.equal(await s.cache.get(), 1, 'answers at once with the last walk');
  assert.equal(await s.cache.get(), 1);
  assert.equal(s.walks(), 2, 'one refresh, not one per request');
  await s.finish();
  assert.equal(await s.cache.get(), 2);
  s.set(3);
  s.advance(5001);
  assert.equal(await s.cache.get(), 2);
  await s.finish();
  assert.equal(await s.cache.get(), 3);
  assert.equal(s.walks(), 3);
});

test('a slow walk is spaced out: at most a tenth of the time goes to walking', async () => {
  const s = setup(2000);
  const first = s.cache.get();
  await s.finish();
  await first;
  s.cache.invalidate();
  s.advance(10_000); // 10 s after a 2 s walk: too soon (needs 20 s)
  await s.cache.get();
  assert.equal(s.walks(), 1);
  s.advance(10_001);
  await s.cache.get();
  assert.equal(s.walks(), 2);
});
