import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration } from '../../../shared/duration.ts';
import { formatDuration } from '../../../shared/format.ts';

const S = 1000;
const M = 60 * S;
const H = 60 * M;

test('parseDuration accepts the documented forms', () => {
  const table: [string, number][] = [
    ['45s', 45 * S],
    ['90m', 90 * M],
    ['2h', 2 * H],
    ['1h30m', H + 30 * M],
    ['1h30m15s', H + 30 * M + 15 * S],
    ['1h 30m', H + 30 * M],
    ['  1H30M ', H + 30 * M],
    ['30m 5s', 30 * M + 5 * S],
    ['300', 300 * S],
    ['1', S],
    ['90 m', 90 * M],
  ];
  for (const [text, ms] of table) {
    assert.deepEqual(parseDuration(text), { ok: true, ms }, text);
  }
});

test('parseDuration refuses bad input with a message naming the problem', () => {
  const table: [string, RegExp][] = [
    ['', /empty duration/],
    ['   ', /empty duration/],
    ['0', /longer than zero/],
    ['0s', /longer than zero/],
    ['0h0m', /longer than zero/],
    ['1.5h', /cannot read/],
    ['-5m', /cannot read/],
    ['1d', /unknown unit 'd'/],
    ['10 minutes', /unknown unit 'minutes'/],
    ['30m1h', /order h, m, s/],
    ['1h1h', /at most once/],
    ['1h30', /cannot read '1h30' at '30'/],
    ['h', /cannot read/],
    ['abc', /cannot read/],
    ['99999999999999999999h', /too large/],
  ];
  for (const [text, message] of table) {
    const r = parseDuration(text);
    assert.equal(r.ok, false, `${JSON.stringify(text)} should be refused`);
    if (!r.ok) assert.match(r.error, message, text);
  }
});

test('formatDuration prints largest units first without zero parts', () => {
  const table: [number, string][] = [
    [0, '0s'],
    [999, '0s'],
    [-5 * S, '0s'],
    [Number.NaN, '0s'],
    [45 * S, '45s'],
    [45 * S + 999, '45s'],
    [90 * M, '1h 30m'],
    [2 * H, '2h'],
    [2 * H + 5 * S, '2h 5s'],
    [H + 30 * M + 15 * S, '1h 30m 15s'],
    [72 * H + 10 * M, '72h 10m'],
  ];
  for (const [ms, text] of table) assert.equal(formatDuration(ms), text, String(ms));
});

test('formatDuration output parses back to the same whole seconds', () => {
  for (const ms of [S, 59 * S, 61 * S, H, 3 * H + 7 * S, 100 * H + 59 * M + 59 * S]) {
    assert.deepEqual(parseDuration(formatDuration(ms)), { ok: true, ms });
  }
});
