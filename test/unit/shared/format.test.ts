import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatClock, formatDuration, formatSize } from '../../../shared/format.ts';

test('formatSize prints the largest binary unit', () => {
  assert.equal(formatSize(512), '512 B');
  assert.equal(formatSize(1536 * 2 ** 20), '1.5 GiB');
  assert.equal(formatSize(5 * 2 ** 20), '5.0 MiB');
});

test('formatDuration with units keeps the largest places (tray, notifications, tables)', () => {
  const MIN = 60_000;
  const table: [number, string][] = [
    [-5000, '0s'], [850, '0s'], [59_999, '59s'], [60_000, '1m'], [185_000, '3m 5s'], [180_000, '3m'],
    [60 * MIN, '1h'], [125 * MIN, '2h 5m'], [(2 * 3600 + 14 * 60 + 3) * 1000, '2h 14m'], [(3600 + 5) * 1000, '1h'], [27 * 60 * MIN, '27h'],
  ];
  for (const [ms, text] of table) assert.equal(formatDuration(ms, { units: 2 }), text, `${ms} ms`);
  assert.equal(formatDuration((2 * 3600 + 14 * 60 + 3) * 1000), '2h 14m 3s', 'without units: every part');
  assert.equal(formatDuration(15, { ms: true }), '15ms');
  assert.equal(formatDuration(0, { ms: true }), '0s');
});

test('formatClock is HH:MM in the given zone', () => {
  assert.equal(formatClock(Date.UTC(2025, 0, 1, 0, 5), 'UTC'), '00:05');
  assert.equal(formatClock(Date.UTC(2025, 0, 1, 23, 59), 'UTC'), '23:59');
  assert.equal(formatClock(Date.UTC(2025, 0, 1, 23, 59), 'Europe/Berlin'), '00:59');
});
