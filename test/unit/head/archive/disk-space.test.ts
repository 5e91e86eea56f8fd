/** The archive disk's state on an injected file system: low below the minimum, full after ENOSPC until space grows. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DiskWatch, isDiskFull } from '../../../../head/archive/disk-space.ts';

const MiB = 1 << 20;

function watch(space: { free: number }) {
  const lines: string[] = [];
  const changes: string[] = [];
  let t = 0;
  const fs = { free: space, total: 100 * MiB };
  const w = new DiskWatch({
    dir: '/archive', minFreeBytes: 10 * MiB, log: (l) => lines.push(l), now: () => (t += 2000),
    statfs: async () => ({ free: fs.free.free, total: fs.total }), statfsSync: () => ({ free: fs.free.free, total: fs.total }),
    onChange: (s) => changes.push(s.state),
  });
  return { w, lines, changes };
}

test('below --min-free-disk no job is assigned, and status says why', async () => {
  const space = { free: 50 * MiB };
  const { w, changes } = watch(space);
  assert.equal((await w.check()).state, 'ok');
  assert.equal(w.holdReason(), null);
  space.free = 5 * MiB;
  assert.match(w.holdReason() ?? '', /archive disk has 5\.0 MiB free, below --min-free-disk 10\.0 MiB: no new jobs are assigned/);
  assert.equal(w.state.state, 'low');
  space.free = 20 * MiB;
  assert.equal((await w.check()).state, 'ok');
  assert.deepEqual(changes, ['low', 'ok']);
});

test('results of exited jobs still to be stored count as used: no job when they would take the disk below the minimum', async () => {
  const space = { free: 50 * MiB };
  const { w } = watch(space);
  await w.check();
  assert.equal(w.holdReason(30 * MiB), null, '50 - 30 MiB leaves 20, above 10');
  assert.match(w.holdReason(45 * MiB) ?? '', /50\.0 MiB free and 45\.0 MiB of finished results still to store, below --min-free-disk 10\.0 MiB: no new jobs are assigned/);
  assert.equal(w.state.state, 'ok', 'the disk itself is fine: status shows it ok');
  assert.equal(w.holdReason(0), null);
});

test('a result stored since the last reading makes the next check read the disk again, not only after a second', () => {
  const space = { free: 15 * MiB };
  const w = new DiskWatch({
    dir: '/archive', minFreeBytes: 10 * MiB, log: () => undefined, now: () => 5_000,
    statfs: async () => ({ free: space.free, total: 100 * MiB }), statfsSync: () => ({ free: space.free, total: 100 * MiB }),
  });
  assert.equal(w.holdReason(), null, 'the first reading: 15 MiB free');
  assert.match(w.holdReason(8 * MiB) ?? '', /8\.0 MiB of finished results still to store/, 'an 8 MiB result pending: 15 - 8 < 10');
  // It is stored (the disk has 7 MiB left) and leaves the pending bytes, within the same second.
  space.free = 7 * MiB;
  assert.match(w.holdReason(0) ?? '', /archive disk has 7\.0 MiB free, below --min-free-disk/);
  // A small result stored does not make it read again (the clock has not moved).
  space.free = 50 * MiB;
  assert.match(w.holdReason(0) ?? '', /7\.0 MiB free/, 'the last reading holds within the second');
});

test('after ENOSPC the disk is full until its free space grows', async () => {
  const space = { free: 30 * MiB };
  const { w, lines } = watch(space);
  await w.check();
  await w.noteFull({ runId: 'r1', job: 'ns/b/j1' });
  assert.equal(w.state.state, 'full', 'full even above the minimum: a result did not fit');
  assert.deepEqual(w.state.waiting.map((x) => x.job), ['ns/b/j1'], 'the refused result is named');
  assert.match(w.holdReason() ?? '', /archive disk full/);
  space.free += 512 * 1024; // a few temporary files removed: still full
  assert.equal((await w.check()).state, 'full');
  space.free += 10 * MiB;
  assert.equal((await w.check()).state, 'ok');
  assert.ok(lines.some((l) => /space again/.test(l)));
  w.stored('r1');
  assert.deepEqual(w.state.waiting, [], 'stored: it no longer waits');
});

test('isDiskFull knows ENOSPC and EDQUOT', () => {
  assert.ok(isDiskFull(Object.assign(new Error('x'), { code: 'ENOSPC' })));
  assert.ok(isDiskFull(Object.assign(new Error('x'), { code: 'EDQUOT' })));
  assert.ok(!isDiskFull(Object.assign(new Error('x'), { code: 'EACCES' })));
  assert.ok(!isDiskFull(null));
});
