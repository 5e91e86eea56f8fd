/** The head's memory of running jobs' output: per current run, capped, forgotten when the job ends. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HeadEventBus } from '../../../../head/core/events.ts';
import { LiveLogs, tailLines } from '../../../../head/core/live-logs.ts';

test('keeps a run from its first chunk; a newer run starts over, an older one is dropped', () => {
  const events = new HeadEventBus();
  const logs = new LiveLogs(events);
  assert.ok(logs.append('b', 'j', 1, 'stdout', 'line 1\n'));
  assert.ok(logs.append('b', 'j', 1, 'stderr', 'oops\n'));
  assert.deepEqual(logs.snapshot('b', 'j').chunks.map((c) => c.data), ['line 1\n', 'oops\n']);
  assert.ok(logs.append('b', 'j', 2, 'stdout', 'again\n'));
  assert.ok(!logs.append('b', 'j', 1, 'stdout', 'stale\n'));
  assert.deepEqual(logs.snapshot('b', 'j').chunks, [{ stream: 'stdout', data: 'again\n' }]);
  events.emit('job:requeued', { batchId: 'b', job: 'j', node: 'n', runId: 'r-b-j-2', reason: 'lost' });
  assert.deepEqual(logs.snapshot('b', 'j'), { chunks: [], droppedBytes: 0 });
  logs.append('b', 'k', 1, 'stdout', 'x');
  events.emit('batch:ended', { batchId: 'b', namespace: 'ns', batch: 'b', owner: 'o', outcome: 'finished', succeeded: 0, failed: 0, cancelled: 0, total: 1, runMs: 0 });
  assert.equal(logs.size, 0);
});

test('a noisy run keeps its newest output within the cap and counts what it dropped', () => {
  const logs = new LiveLogs(new HeadEventBus(), 10);
  for (let i = 0; i < 5; i++) logs.append('b', 'j', 1, 'stdout', `${i}abcd`);
  const snap = logs.snapshot('b', 'j');
  assert.deepEqual(snap.chunks.map((c) => c.data), ['3abcd', '4abcd']);
  assert.equal(snap.droppedBytes, 15);
});

test('the cap counts UTF-8 bytes, not characters', () => {
  const logs = new LiveLogs(new HeadEventBus(), 12);
  for (let i = 0; i < 4; i++) logs.append('b', 'j', 1, 'stdout', '日本'); // 6 bytes each
  const snap = logs.snapshot('b', 'j');
  assert.deepEqual(snap.chunks.map((c) => c.data), ['日本', '日本']);
  assert.equal(snap.droppedBytes, 12);
});

test('tailLines', () => {
  assert.equal(tailLines('a\nb\nc\n', 2), 'b\nc\n');
  assert.equal(tailLines('a\nb\nc', 2), 'b\nc');
  assert.equal(tailLines('a\n', 5), 'a\n');
  assert.equal(tailLines('a\nb\n', 0), '');
  assert.equal(tailLines('a\nb\n', undefined), 'a\nb\n');
});
