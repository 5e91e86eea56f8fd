import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBatchMessage, buildLogTail, BUILD_LOG_TAIL_LINES, type BatchSummary } from '../../../../head/notify/batch-summary.ts';

const base: BatchSummary = {
  batchId: 'b-1',
  namespace: 'brooks-openfoam',
  batch: 'sweep_re_1000',
  owner: 'brooks',
  matrixUser: '@brooks:matrix.org',
  outcome: 'finished',
  succeeded: 98,
  failed: 2,
  cancelled: 0,
  total: 100,
  runMs: (3 * 3600 + 12 * 60 + 5) * 1000,
  headUrl: 'http://lab-head:8080',
};


test('a finished batch: counts, run time, pull commands, head link', () => {
  const m = formatBatchMessage(base);
  assert.match(m.body, /^Batch brooks-openfoam\/sweep_re_1000 finished: 98 succeeded, 2 failed \(100 jobs\) in 3h 12m\./);
  assert.match(m.body, /distribute pull --batch brooks-openfoam\/sweep_re_1000/);
  assert.match(m.body, /distribute pull <your config file>/);
  assert.match(m.body, /Head: http:\/\/lab-head:8080/);
  assert.doesNotMatch(m.body, /cancelled/);
  assert.ok(m.formatted);
  assert.match(m.formatted, /<code>brooks-openfoam\/sweep_re_1000<\/code> <strong>finished<\/strong>/);
  assert.match(m.formatted, /<code>distribute pull &lt;your config file&gt;<\/code>/);
  assert.match(m.formatted, /<a href="http:\/\/lab-head:8080">/);
});

test('singular job and cancelled counts are worded right', () => {
  const one = formatBatchMessage({ ...base, succeeded: 1, failed: 0, total: 1, runMs: 4000 });
  assert.match(one.body, /1 succeeded, 0 failed \(1 job\) in 4s\./);
  const cancelled = formatBatchMessage({ ...base, outcome: 'cancelled', succeeded: 10, failed: 1, cancelled: 89 });
  assert.match(cancelled.body, /was cancelled: 10 succeeded, 1 failed, 89 cancelled \(100 jobs\)/);
  assert.match(cancelled.body, /distribute pull --batch/);
  const nothingRan = formatBatchMessage({ ...base, outcome: 'cancelled', succeeded: 0, failed: 0, cancelled: 100 });
  assert.doesNotMatch(nothingRan.body, /distribute pull/, 'no pull hint when no job produced anything');
});

test('a build failure carries the tail of the build log, HTML-escaped in the formatted body', () => {
  const lines = Array.from({ length: 60 }, (_, i) => `line ${i + 1}`);
  lines.push('error: <mesh.h5> & friends missing');
  const m = formatBatchMessage({ ...base, outcome: 'build-failed', succeeded: 0, failed: 0, runMs: 95_000, buildLog: lines.join('\n') + '\n\n' });
  assert.match(m.body, /failed: the build step failed on every node, so no job ran \(after 1m 35s\)/);
  assert.match(m.body, /error: <mesh.h5> & friends missing$/m);
  assert.doesNotMatch(m.body, /^line 41$/m, 'only the last lines are kept');
  assert.match(m.body, /^line 42$/m);
  assert.doesNotMatch(m.body, /distribute pull/);
  assert.ok(m.formatted);
  assert.match(m.formatted, /<pre><code>[^]*error: &lt;mesh.h5&gt; &amp; friends missing<\/code><\/pre>/);
  assert.doesNotMatch(m.formatted, /<mesh/);
});

test('a build failure without a log says so', () => {
  const m = formatBatchMessage({ ...base, outcome: 'build-failed', buildLog: '  \n' });
  assert.match(m.body, /No build log was recorded\./);
});

test('buildLogTail limits lines and characters', () => {
  const many = Array.from({ length: 100 }, (_, i) => `l${i}`).join('\n');
  assert.equal(buildLogTail(many).split('\n').length, BUILD_LOG_TAIL_LINES);
  const long = 'x'.repeat(10_000);
  const tail = buildLogTail(long);
  assert.equal(tail.length, 2000);
  assert.ok(tail.startsWith('…'));
});

test('names are escaped in HTML', () => {
  const m = formatBatchMessage({ ...base, batch: 'a<b>&"c' });
  assert.match(m.formatted!, /a&lt;b&gt;&amp;&quot;c/);
  assert.match(m.body, /a<b>&"c/);
});
