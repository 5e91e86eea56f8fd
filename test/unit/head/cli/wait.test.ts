import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeCounts, doneCount, waitExitCode } from '../../../../head/cli/wait.ts';

const zero = { queued: 0, assigned: 0, running: 0, paused: 0, succeeded: 0, failed: 0, cancelled: 0, buildFailed: 0 };

test('wait: exit 0 only when every job succeeded', () => {
  const table: [Partial<typeof zero>, number, number][] = [
    [{ succeeded: 3 }, 3, 0],
    [{ succeeded: 2, failed: 1 }, 3, 1],
    [{ succeeded: 2, cancelled: 1 }, 3, 1],
    [{ buildFailed: 3 }, 3, 1],
    [{ succeeded: 2, buildFailed: 1 }, 3, 1],
  ];
  for (const [c, total, code] of table) assert.equal(waitExitCode({ counts: { ...zero, ...c }, total }), code, JSON.stringify(c));
  assert.equal(doneCount({ ...zero, succeeded: 1, failed: 1, cancelled: 1, buildFailed: 1, running: 5 }), 4);
  assert.equal(describeCounts({ ...zero, succeeded: 1, failed: 1, running: 1, paused: 1 }, 4), '2/4 done, 1 ok, 1 failed, 2 running (1 paused)');
});
