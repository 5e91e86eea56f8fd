import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchEndedEventSchema, notificationKey, shouldNotify, type BatchEndedEvent } from '../../../../electron/main/notification-rules.ts';

const event = (over: Partial<BatchEndedEvent> = {}): BatchEndedEvent => ({
  type: 'batch-ended', batchId: 'b-42', namespace: 'brooks-openfoam', batch: 'sweep', owner: 'brooks',
  outcome: 'finished', succeeded: 12, failed: 0, total: 12, ...over,
});
const ctx = { me: 'brooks', enabled: true, alreadyNotified: new Set<string>() };

test('shouldNotify table', () => {
  const table: { name: string; ev: BatchEndedEvent; ctx?: Partial<typeof ctx>; want: ReturnType<typeof shouldNotify> }[] = [
    { name: 'all succeeded', ev: event(), want: { notify: true, title: 'Batch brooks-openfoam/sweep finished', message: 'All 12 jobs succeeded.' } },
    { name: 'one job', ev: event({ succeeded: 1, total: 1 }), want: { notify: true, title: 'Batch brooks-openfoam/sweep finished', message: 'All 1 job succeeded.' } },
    {
      name: 'some failed', ev: event({ succeeded: 9, failed: 3 }),
      want: { notify: true, title: 'Batch brooks-openfoam/sweep finished with failures', message: '9 of 12 jobs succeeded, 3 failed.' },
    },
    {
      name: 'build failed', ev: event({ outcome: 'build-failed', succeeded: 0, failed: 0 }),
      want: { notify: true, title: 'Batch brooks-openfoam/sweep: build failed', message: 'The build step failed; 0 of 12 jobs succeeded, 12 did not run.' },
    },
    {
      name: 'cancelled midway', ev: event({ outcome: 'cancelled', succeeded: 5, failed: 1 }),
      want: { notify: true, title: 'Batch brooks-openfoam/sweep cancelled', message: '5 of 12 jobs succeeded, 1 failed, 6 did not run.' },
    },
    { name: "someone else's batch", ev: event({ owner: 'alice' }), want: { notify: false } },
    { name: 'notifications off', ev: event(), ctx: { enabled: false }, want: { notify: false } },
    { name: 'already told', ev: event(), ctx: { alreadyNotified: new Set(['b-42']) }, want: { notify: false } },
    { name: 'another batch already told does not block', ev: event(), ctx: { alreadyNotified: new Set(['b-41']) }, want: shouldNotify(event(), ctx) },
  ];
  for (const c of table) assert.deepEqual(shouldNotify(c.ev, { ...ctx, ...c.ctx }), c.want, c.name);
});

test('once per batch when the caller records what it showed', () => {
  const shown = new Set<string>();
  const events = [event(), event({ batchId: 'b-43' }), event(), event({ owner: 'alice', batchId: 'b-44' }), event({ batchId: 'b-43' })];
  const titles: string[] = [];
  for (const ev of events) {
    const d = shouldNotify(ev, { me: 'brooks', enabled: true, alreadyNotified: shown });
    if (d.notify) {
      shown.add(notificationKey(ev));
      titles.push(ev.batchId);
    }
  }
  assert.deepEqual(titles, ['b-42', 'b-43']);
});

test('the event schema accepts the head event and rejects garbage', () => {
  assert.equal(BatchEndedEventSchema.safeParse(event()).success, true);
  assert.equal(BatchEndedEventSchema.safeParse({ ...event(), outcome: 'exploded' }).success, false);
  assert.equal(BatchEndedEventSchema.safeParse({ ...event(), failed: -1 }).success, false);
});
