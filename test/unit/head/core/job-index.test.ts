import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Job, JobState } from '../../../../shared/job/state.ts';
import { JobIndex } from '../../../../head/core/job-index.ts';
import { countOutcomes } from '../../../../head/core/batch-book.ts';

const job = (name: string, status: JobState): Job => ({ batchId: 'b', name, attempts: 0, retries: 0, status });
const queued: JobState = { state: 'queued', since: 0 };
const running = (node: string): JobState => ({ state: 'running', node, runId: `r-${node}-1`, attempt: 1, startedAt: 0, pausedMs: 0 });
const done: JobState = { state: 'done', result: { outcome: 'succeeded', exitCode: 0 }, node: 'n', runId: 'r-n-1', attempt: 1, startedAt: 0, endedAt: 1, runMs: 1 };

test('the index follows every replacement: queued order, held jobs, all done', () => {
  const jobs = ['a', 'b', 'c', 'd'].map((n) => job(n, queued));
  const index = new JobIndex(jobs);
  assert.deepEqual(index.firstQueued(10), ['a', 'b', 'c', 'd']);
  assert.deepEqual(index.firstQueued(2), ['a', 'b']);
  assert.equal(index.position('c'), 2);
  assert.equal(index.position('zz'), -1);

  index.set(0, job('a', running('n1')));
  index.set(1, job('b', running('n2')));
  assert.deepEqual(index.firstQueued(10), ['c', 'd']);
  assert.equal(index.activeCount(), 2);
  assert.deepEqual(index.activePositions().sort(), [0, 1]);
  assert.equal(jobs[0].status.state, 'running', 'writes go to the batch\'s own array');

  // A lost job goes back to the queue and is offered first again (submission order).
  index.set(0, job('a', queued));
  assert.deepEqual(index.firstQueued(1), ['a']);
  assert.equal(index.queuedCount(), 3);

  for (let i = 0; i < 4; i++) index.set(i, job(jobs[i].name, done));
  assert.ok(index.allDone());
  assert.equal(index.queuedCount(), 0);
  assert.equal(index.activeCount(), 0);
  assert.deepEqual(index.firstQueued(5), []);
});

test('an index built over a batch loaded with mixed states counts them', () => {
  const index = new JobIndex([job('a', done), job('b', running('n')), job('c', queued)]);
  assert.equal(index.allDone(), false);
  assert.equal(index.queuedCount(), 1);
  assert.deepEqual(index.firstQueued(3), ['c']);
  assert.deepEqual(index.activePositions(), [1]);
});

test('the index keeps the jobs per state and outcome that counting the batch gives, through every kind of change', () => {
  const results = [
    { outcome: 'succeeded', exitCode: 0 }, { outcome: 'failed', exitCode: 2 }, { outcome: 'killed', signal: 'SIGKILL' },
    { outcome: 'spawn-failed', message: 'x' }, { outcome: 'cancelled', by: 'u' }, { outcome: 'build-failed', message: 'x' },
    { outcome: 'rejected', message: 'x' },
  ] as const;
  const states = (i: number): JobState[] => [
    queued,
    { state: 'assigned', node: 'n', runId: `r${i}`, attempt: 1, at: 0 },
    running('n'),
    { state: 'paused', node: 'n', runId: `r${i}`, attempt: 1, startedAt: 0, pausedMs: 0, pausedAt: 1, until: null },
    ...results.map((result): JobState => ({ state: 'done', result, node: 'n', runId: `r${i}`, attempt: 1, startedAt: 0, endedAt: 1, runMs: 1 })),
  ];
  const jobs = Array.from({ length: 40 }, (_, i) => job(`j${i}`, states(i)[i % 11]));
  const index = new JobIndex(jobs);
  // Killed, spawn-failed and rejected jobs count as failed.
  assert.deepEqual(index.counts(), { queued: 4, assigned: 4, running: 4, paused: 4, succeeded: 4, failed: 14, cancelled: 3, buildFailed: 3 });
  assert.deepEqual(index.counts(), countOutcomes(jobs));
  let seed = 7;
  const next = (n: number) => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
  for (let step = 0; step < 2000; step++) {
    const i = next(jobs.length);
    const choices = states(i);
    index.set(i, job(jobs[i].name, choices[next(choices.length)]));
    assert.deepEqual(index.counts(), countOutcomes(jobs), `step ${step}`);
  }
  const total = Object.values(index.counts()).reduce((a, b) => a + b, 0);
  assert.equal(total, jobs.length);
});
