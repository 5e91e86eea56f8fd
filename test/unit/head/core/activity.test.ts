/** The dashboard chart's data: jobs held per node, kept for the window, with the live counts last. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ActivityLog } from '../../../../head/core/activity.ts';

test('samples older than the window go; the series ends with the current counts', () => {
  const log = new ActivityLog(1000, 100);
  log.add(0, { a: 1 });
  log.add(600, { a: 2, b: 1 });
  log.add(1500, { b: 3 });
  const s = log.series(1600, { a: 1 });
  assert.deepEqual(s.samples.map((x) => x.at), [600, 1500, 1600], 'the sample at 0 is older than 1000 ms before 1500');
  assert.deepEqual(s.samples.at(-1)!.nodes, { a: 1 });
  assert.equal(s.windowMs, 1000);
  assert.equal(s.stepMs, 100);
});
