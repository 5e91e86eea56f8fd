/**
 * `hand-back`: a node gives a job back or rejects it. Re-queued until the `maxHandBacks`-th time,
 * which ends the job `rejected` with the reason; only the holding node's run counts, a node loss
 * (`lose`) never does, and `retry` starts the count again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Job } from '../../../../shared/job/state.ts';
import { isFailure, transition, type JobEvent } from '../../../../shared/job/transition.ts';

const running = (patch: Partial<Job> = {}): Job => ({
  batchId: 'b', name: 'j', attempts: 1, retries: 0, status: { state: 'running', node: 'n1', runId: 'run-0001', attempt: 1, startedAt: 1000, pausedMs: 0 }, ...patch,
});
const back = (reason = 'busy'): JobEvent => ({ type: 'hand-back', runId: 'run-0001', now: 5000, reason, maxHandBacks: 3 });

test('re-queued with a count until the third hand-back, which fails the job with the reason', () => {
  const first = transition(running(), back());
  assert.deepEqual(first, { ok: true, job: { ...running(), handBacks: 1, status: { state: 'queued', since: 5000 } } });
  const second = transition(running({ handBacks: 1 }), back());
  assert.ok(second.ok && second.job.status.state === 'queued' && second.job.handBacks === 2);
  const third = transition(running({ handBacks: 2 }), back('inputs missing'));
  assert.ok(third.ok);
  assert.equal(third.job.handBacks, 3);
  assert.deepEqual(third.job.status, {
    state: 'done', result: { outcome: 'rejected', message: 'handed back or rejected 3 times; last: inputs missing' },
    node: 'n1', runId: 'run-0001', attempt: 1, startedAt: 1000, endedAt: 5000, runMs: 4000,
  });
  assert.ok(third.job.status.state === 'done' && isFailure(third.job.status.result));
});

test('stores of 0.1 have no count: the first hand-back counts as one', () => {
  const job = running();
  delete job.handBacks;
  const r = transition(job, back());
  assert.ok(r.ok && r.job.handBacks === 1);
});

test('only the run holding the job can hand it back', () => {
  assert.equal(transition(running(), { ...back(), runId: 'run-0002' } as JobEvent).ok, false);
  assert.equal(transition({ ...running(), status: { state: 'queued', since: 1 } }, back()).ok, false);
});

test('a node loss does not count, and retry starts the count again', () => {
  const lost = transition(running({ handBacks: 2 }), { type: 'lose', runId: 'run-0001', now: 5000, reason: 'node lost' });
  assert.ok(lost.ok && lost.job.handBacks === 2 && lost.job.status.state === 'queued');
  const failed = transition(running({ handBacks: 2 }), back());
  assert.ok(failed.ok);
  const retried = transition(failed.job, { type: 'retry', now: 6000 });
  assert.ok(retried.ok && retried.job.handBacks === 0 && retried.job.status.state === 'queued');
});

test('a job in hand given back before it started (counted: false) is re-queued without a count, even at the limit', () => {
  const assigned: Job = { batchId: 'b', name: 'j', attempts: 1, retries: 0, handBacks: 2, status: { state: 'assigned', node: 'n1', runId: 'run-0001', attempt: 1, at: 1000 } };
  const r = transition(assigned, { ...back('node is paused'), counted: false } as JobEvent);
  assert.deepEqual(r, { ok: true, job: { ...assigned, status: { state: 'queued', since: 5000 } } });
});
