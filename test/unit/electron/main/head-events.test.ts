import assert from 'node:assert/strict';
import { test } from 'node:test';
import { takeSseEvents } from '../../../../electron/main/head-events.ts';
import { decodeUserEvent } from '../../../../shared/protocol/events.ts';

test('takeSseEvents splits complete events and keeps the unfinished rest', () => {
  const cases: { input: string; events: string[]; rest: string }[] = [
    { input: '', events: [], rest: '' },
    { input: 'data: {"a":1}\n\n', events: ['{"a":1}'], rest: '' },
    { input: 'event: distribute\ndata: x\n\ndata: y', events: ['x'], rest: 'data: y' },
    { input: ': keepalive\n\nretry: 2000\n\n', events: [], rest: '' },
    { input: 'data: one\ndata: two\n\n', events: ['one\ntwo'], rest: '' },
    { input: 'data:nospace\r\n\r\n', events: ['nospace'], rest: '' },
  ];
  for (const c of cases) assert.deepEqual(takeSseEvents(c.input), { events: c.events, rest: c.rest }, JSON.stringify(c.input));
});

test('decodeUserEvent validates batch-ended and ignores unknown kinds', () => {
  const good = { type: 'batch-ended', batchId: 'b1', namespace: 'n', batch: 'x', owner: 'u', outcome: 'finished', succeeded: 2, failed: 1, total: 3 };
  assert.deepEqual(decodeUserEvent(JSON.stringify(good)), { ok: true, event: good });
  assert.deepEqual(decodeUserEvent('{"type":"node-lost"}'), { ok: true, event: null });
  assert.equal(decodeUserEvent('not json').ok, false);
  assert.equal(decodeUserEvent(JSON.stringify({ ...good, succeeded: -1 })).ok, false);
  assert.equal(decodeUserEvent(JSON.stringify({ ...good, outcome: 'exploded' })).ok, false);
});
