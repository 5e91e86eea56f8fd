/** The agent's reconnect backoff stays below the node timeout the head announced. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff } from '../../../../electron/agent/backoff.ts';
import { longestReconnectDelayMs, reconnectCapMs } from '../../../../shared/protocol/reconnect.ts';

test('capped at the announced timeout, the longest delay (full jitter) stays below it', () => {
  for (const timeout of [1000, 2000, 5000, 10_000, 60_000]) {
    const b = new Backoff(250, undefined, () => 1);
    b.capAt(reconnectCapMs(timeout));
    let longest = 0;
    for (let i = 0; i < 40; i++) longest = Math.max(longest, b.next());
    assert.ok(longest < timeout, `timeout ${timeout}: longest delay ${longest}`);
    assert.ok(longest <= longestReconnectDelayMs(timeout), `timeout ${timeout}: ${longest} > ${longestReconnectDelayMs(timeout)}`);
  }
});

test('grows from the minimum and starts over after reset; the cap survives the reset', () => {
  const b = new Backoff(250, 10_000, () => 0.5);
  assert.deepEqual([b.next(), b.next(), b.next()], [250, 500, 1000]);
  b.capAt(600);
  b.reset();
  assert.deepEqual([b.next(), b.next(), b.next(), b.next()], [250, 500, 600, 600]);
});
