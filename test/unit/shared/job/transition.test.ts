/**
 * `transition()` as a table: every job state × every event, with the exact resulting job (or the
 * exact rejection). Each row also checks that the input job was left untouched, since callers keep
 * the old job around to diff against.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { transition, type JobEvent } from '../../../../shared/job/transition.ts';
import type { Job, JobResult, JobState, JobStateName } from '../../../../shared/job/state.ts';

const NOW = 10_000;
const FAILED: JobResult = { outcome: 'failed', exitCode: 3 };
const OK: JobResult = { outcome: 'succeeded', exitCode: 0 };

/** One job per state, held by run `R1` (node `n1`, attempt 2) where a node holds it. */
const STATES: Record<JobStateName, JobState> = {
  queued: { state: 'queued', since: 100 },
  assigned: { state: 'assigned', node: 'n1', runId: 'R1', attempt: 2, at: 200 },
  running: { state: 'running', node: 'n1', runId: 'R1', attempt: 2, startedAt: 1000, pausedMs: 500 },
  paused: { state: 'paused', node: 'n1', runId: 'R1', attempt: 2, startedAt: 1000, pausedMs: 500, pausedAt: 4000, until: 9000 },
  done: { state: 'done', result: OK, node: 'n1', runId: 'R1', attempt: 2, startedAt: 1000, endedAt: 5000, runMs: 3500 },
};

function jobIn(state: JobStateName, patch: Partial<Job> = {}): Job {
  return { batchId: 'b1', name: 'job-a', attempts: 2, retries: 0, status: structuredClone(STATES[state]), ...patch };
}

/** Events that name the run use R1 (node n1, attempt 2: the holder of every active state above). */
const EVENTS = {
  assign: { type: 'assign', node: 'n2', runId: 'R2', now: NOW },
  start: { type: 'start', runId: 'R1', now: NOW },
  pause: { type: 'pause', runId: 'R1', until: 20_000, now: NOW },
  resume: { type: 'resume', runId: 'R1', now: NOW },
  'finish-ok': { type: 'finish', runId: 'R1', node: 'n1', attempt: 2, result: OK, now: NOW, maxRetries: 0 },
  'finish-failed-retry': { type: 'finish', runId: 'R1', node: 'n1', attempt: 2, result: FAILED, now: NOW, maxRetries: 1 },
  lose: { type: 'lose', runId: 'R1', now: NOW, reason: 'node gone' },
  cancel: { type: 'cancel', by: 'alice', now: NOW },
  'build-failed': { type: 'build-failed', message: 'gfortran missing', now: NOW },
  retry: { type: 'retry', now: NOW },
  adopt: { type: 'adopt', node: 'n2', runId: 'R2', attempt: 3, now: NOW },
  recover: { type: 'recover', result: OK, node: 'n3', runId: 'R3', attempt: 2, times: { startedAt: 1500, endedAt: 6000, runMs: 4000 } },
} satisfies Record<string, JobEvent>;
type EventName = keyof typeof EVENTS;

/** Expected outcome per cell: the new job's status (+ counters), or the rejection. */
type Cell = { status: JobState; attempts?: number; retries?: number } | 'reject' | 'reject-stale-failure';

const doneBy = (result: JobResult, rest: Omit<Extract<JobState, { state: 'done' }>, 'state' | 'result'>): JobState =>
  ({ state: 'done', result, ...rest });
const cancelled: JobResult = { outcome: 'cancelled', by: 'alice' };

const TABLE: Record<JobStateName, Record<EventName, Cell>> = {
  queued: {
    assign: { status: { state: 'assigned', node: 'n2', runId: 'R2', attempt: 3, at: NOW }, attempts: 3 },
    start: 'reject',
    pause: 'reject',
    resume: 'reject',
    // A result arriving while queued is stale (the job was lost meanwhile): first to finish wins.
    'finish-ok': { status: doneBy(OK, { node: 'n1', runId: 'R1', attempt: 2, startedAt: null, endedAt: NOW, runMs: 0 }) },
    // ... but a stale failure is refused: the job stays queued and runs again.
    'finish-failed-retry': 'reject-stale-failure',
    lose: 'reject',
    cancel: { status: doneBy(cancelled, { node: null, runId: null, attempt: 2, startedAt: null, endedAt: NOW, runMs: 0 }) },
    'build-failed': {
      status: doneBy({ outcome: 'build-failed', message: 'gfortran missing' }, { node: null, runId: null, attempt: 2, startedAt: null, endedAt: NOW, runMs: 0 }),
    },
    retry: 'reject',
    // A node came back holding a run the head had given up on: it goes on there.
    adopt: { status: { state: 'running', node: 'n2', runId: 'R2', attempt: 3, startedAt: NOW, pausedMs: 0 }, attempts: 3 },
    // The archive has its result (a crash lost the store's write): done with the archived times.
    recover: { status: doneBy(OK, { node: 'n3', runId: 'R3', attempt: 2, startedAt: 1500, endedAt: 6000, runMs: 4000 }) },
  },
  assigned: {
    assign: 'reject',
    start: { status: { state: 'running', node: 'n1', runId: 'R1', attempt: 2, startedAt: NOW, pausedMs: 0 } },
    pause: 'reject',
    resume: 'reject',
    'finish-ok': { status: doneBy(OK, { node: 'n1', runId: 'R1', attempt: 2, startedAt: null, endedAt: NOW, runMs: 0 }) },
    'finish-failed-retry': { status: { state: 'queued', since: NOW }, retries: 1 },
    lose: { status: { state: 'queued', since: NOW } },
    cancel: { status: doneBy(cancelled, { node: 'n1', runId: 'R1', attempt: 2, startedAt: null, endedAt: NOW, runMs: 0 }) },
    'build-failed': 'reject',
    retry: 'reject',
    adopt: 'reject',
    recover: { status: doneBy(OK, { node: 'n3', runId: 'R3', attempt: 2, startedAt: 1500, endedAt: 6000, runMs: 4000 }) },
  },
  running: {
    assign: 'reject',
    start: 'reject',
    pause: { status: { state: 'paused', node: 'n1', runId: 'R1', attempt: 2, startedAt: 1000, pausedMs: 500, pausedAt: NOW, until: 20_000 } },
    resume: 'reject',
    // 10000 - 1000 - 500 already paused
    'finish-ok': { status: doneBy(OK, { node: 'n1', runId: 'R1', attempt: 2, startedAt: 1000, endedAt: NOW, runMs: 8500 }) },
    'finish-failed-retry': { status: { state: 'queued', since: NOW }, retries: 1 },
    lose: { status: { state: 'queued', since: NOW } },
    cancel: { status: doneBy(cancelled, { node: 'n1', runId: 'R1', attempt: 2, startedAt: 1000, endedAt: NOW, runMs: 8500 }) },
    'build-failed': 'reject',
    retry: 'reject',
    adopt: 'reject',
    recover: { status: doneBy(OK, { node: 'n3', runId: 'R3', attempt: 2, startedAt: 1500, endedAt: 6000, runMs: 4000 }) },
  },
  paused: {
    assign: 'reject',
    start: 'reject',
    // Pausing a paused job extends the pause; pausedAt stays where the pause began.
    pause: { status: { state: 'paused', node: 'n1', runId: 'R1', attempt: 2, startedAt: 1000, pausedMs: 500, pausedAt: 4000, until: 20_000 } },
    // 500 before + (10000 - 4000) this pause
    resume: { status: { state: 'running', node: 'n1', runId: 'R1', attempt: 2, startedAt: 1000, pausedMs: 6500 } },
    // Run time stops at the pause: 4000 - 1000 - 500.
    'finish-ok': { status: doneBy(OK, { node: 'n1', runId: 'R1', attempt: 2, startedAt: 1000, endedAt: NOW, runMs: 2500 }) },
    'finish-failed-retry': { status: { state: 'queued', since: NOW }, retries: 1 },
    lose: { status: { state: 'queued', since: NOW } },
    cancel: { status: doneBy(cancelled, { node: 'n1', runId: 'R1', attempt: 2, startedAt: 1000, endedAt: NOW, runMs: 2500 }) },
    'build-failed': 'reject',
    retry: 'reject',
    adopt: 'reject',
    recover: { status: doneBy(OK, { node: 'n3', runId: 'R3', attempt: 2, startedAt: 1500, endedAt: 6000, runMs: 4000 }) },
  },
  done: {
    assign: 'reject',
    start: 'reject',
    pause: 'reject',
    resume: 'reject',
    'finish-ok': 'reject',
    'finish-failed-retry': 'reject',
    lose: 'reject',
    cancel: 'reject',
    'build-failed': 'reject',
    retry: 'reject',
    adopt: 'reject',
    // A result already taken is never replaced by another from the archive.
    recover: 'reject',
  },
};

/** Apply and check the input job was not mutated. */
function apply(job: Job, event: JobEvent) {
  const before = structuredClone(job);
  const result = transition(job, event);
  assert.deepEqual(job, before, 'input job must not be mutated');
  if (result.ok) assert.notEqual(result.job, job, 'a new job object');
  return result;
}

for (const [stateName, row] of Object.entries(TABLE) as [JobStateName, Record<EventName, Cell>][]) {
  for (const [eventName, cell] of Object.entries(row) as [EventName, Cell][]) {
    test(`${stateName} × ${eventName}: ${typeof cell === 'string' ? 'rejected' : cell.status.state}`, () => {
      const job = jobIn(stateName);
      const event = EVENTS[eventName];
      const result = apply(job, event);
      if (cell === 'reject') {
        assert.deepEqual(result, { ok: false, error: `job job-a: cannot ${event.type} while ${stateName}` });
        return;
      }
      if (cell === 'reject-stale-failure') {
        assert.equal(event.type, 'finish');
        assert.deepEqual(result, { ok: false, error: `job job-a: a failed earlier run (R1, attempt ${(event as { attempt: number }).attempt} on ${(event as { node: string }).node}) does not end the job while ${stateName}` });
        return;
      }
      assert.deepEqual(result, {
        ok: true,
        job: { batchId: 'b1', name: 'job-a', attempts: cell.attempts ?? 2, retries: cell.retries ?? 0, status: cell.status },
      });
    });
  }
}

// ---- holder checks: events of another run are rejected ---------------------------------------

const WRONG_HOLDER: { name: string; state: JobStateName; event: JobEvent }[] = [
  { name: 'start of another run', state: 'assigned', event: { ...EVENTS.start, runId: 'R0' } },
  { name: 'pause of another run', state: 'running', event: { ...EVENTS.pause, runId: 'R0' } },
  { name: 'pause extension of another run', state: 'paused', event: { ...EVENTS.pause, runId: 'R0' } },
  { name: 'resume of another run', state: 'paused', event: { ...EVENTS.resume, runId: 'R0' } },
  { name: 'lose of a run the job does not hold (assigned)', state: 'assigned', event: { ...EVENTS.lose, runId: 'R0' } },
  { name: 'lose of a run the job does not hold (running)', state: 'running', event: { ...EVENTS.lose, runId: 'R0' } },
  { name: 'lose of a run the job does not hold (paused)', state: 'paused', event: { ...EVENTS.lose, runId: 'R0' } },
];

for (const c of WRONG_HOLDER) {
  test(`rejected: ${c.name}`, () => {
    const result = apply(jobIn(c.state), c.event);
    assert.deepEqual(result, { ok: false, error: `job job-a: cannot ${c.event.type} while ${c.state}` });
  });
}

// ---- finish: retries and stale results --------------------------------------------------------

const STALE_FINISH: { name: string; state: JobStateName; runId: string; node: string; attempt: number }[] = [
  { name: 'other node while running', state: 'running', runId: 'R0', node: 'n2', attempt: 2 },
  { name: 'earlier run of the same node while running', state: 'running', runId: 'R0', node: 'n1', attempt: 1 },
  // The same attempt number twice (a head crash lost the count): the run id still tells them apart.
  { name: 'other run with the same attempt number while running', state: 'running', runId: 'R0', node: 'n1', attempt: 2 },
  { name: 'other node while paused', state: 'paused', runId: 'R0', node: 'n2', attempt: 2 },
  { name: 'other node while assigned', state: 'assigned', runId: 'R0', node: 'n2', attempt: 2 },
];

for (const c of STALE_FINISH) {
  test(`stale failed finish (${c.name}) is refused: the live run decides`, () => {
    const job = jobIn(c.state);
    const result = apply(job, { type: 'finish', runId: c.runId, node: c.node, attempt: c.attempt, result: FAILED, now: NOW, maxRetries: 5 });
    assert.deepEqual(result, { ok: false, error: `job job-a: a failed earlier run (${c.runId}, attempt ${c.attempt} on ${c.node}) does not end the job while ${c.state}` });
  });
  test(`stale successful finish (${c.name}) ends the job: first to finish wins`, () => {
    const result = apply(jobIn(c.state), { type: 'finish', runId: c.runId, node: c.node, attempt: c.attempt, result: OK, now: NOW, maxRetries: 5 });
    assert.ok(result.ok);
    assert.deepEqual(result.job.status, doneBy(OK, { node: c.node, runId: c.runId, attempt: c.attempt, startedAt: null, endedAt: NOW, runMs: 0 }));
  });
}

const FAILURES: JobResult[] = [
  { outcome: 'failed', exitCode: 1 },
  { outcome: 'killed', signal: 'SIGKILL' },
];

for (const failure of FAILURES) {
  test(`finish ${failure.outcome}: re-queued while retries < maxRetries, done once they run out`, () => {
    const finish = (job: Job) => apply(job, { type: 'finish', runId: 'R1', node: 'n1', attempt: 2, result: failure, now: NOW, maxRetries: 2 });
    const first = finish(jobIn('running', { retries: 1 }));
    assert.deepEqual(first, { ok: true, job: { ...jobIn('running'), retries: 2, status: { state: 'queued', since: NOW } } });
    const last = finish(jobIn('running', { retries: 2 }));
    assert.ok(last.ok);
    assert.equal(last.job.retries, 2);
    assert.deepEqual(last.job.status, doneBy(failure, { node: 'n1', runId: 'R1', attempt: 2, startedAt: 1000, endedAt: NOW, runMs: 8500 }));
  });
}

test('finish spawn-failed ends the job on the first try, whatever retries are left', () => {
  const failure: JobResult = { outcome: 'spawn-failed', message: 'the command contains a NUL byte' };
  const r = apply(jobIn('running'), { type: 'finish', runId: 'R1', node: 'n1', attempt: 2, result: failure, now: NOW, maxRetries: 9 });
  assert.ok(r.ok);
  assert.equal(r.job.retries, 0);
  assert.deepEqual(r.job.status, doneBy(failure, { node: 'n1', runId: 'R1', attempt: 2, startedAt: 1000, endedAt: NOW, runMs: 8500 }));
});

test('finish with a non-failure outcome never retries', () => {
  for (const result of [OK, { outcome: 'cancelled', by: 'bob' }, { outcome: 'build-failed', message: 'x' }] as JobResult[]) {
    const r = apply(jobIn('running'), { type: 'finish', runId: 'R1', node: 'n1', attempt: 2, result, now: NOW, maxRetries: 9 });
    assert.ok(r.ok);
    assert.equal(r.job.status.state, 'done', result.outcome);
    assert.equal(r.job.retries, 0);
  }
});

test('finish with the run\'s own times: the done job carries them, not the head\'s view', () => {
  const times = { startedAt: 1200, endedAt: 9800, runMs: 7000 };
  for (const state of ['running', 'paused', 'assigned'] as const) {
    const r = apply(jobIn(state), { ...EVENTS['finish-ok'], times });
    assert.ok(r.ok && r.job.status.state === 'done', state);
    assert.deepEqual(r.job.status, doneBy(OK, { node: 'n1', runId: 'R1', attempt: 2, ...times }), state);
  }
  // A retried failure leaves no times behind: the job is queued.
  const retried = apply(jobIn('running'), { ...EVENTS['finish-failed-retry'], times });
  assert.ok(retried.ok);
  assert.deepEqual(retried.job.status, { state: 'queued', since: NOW });
});

test('adopt keeps the higher attempt count (a crash may have lost the job\'s own count)', () => {
  const r = apply(jobIn('queued', { attempts: 5 }), EVENTS.adopt);
  assert.ok(r.ok);
  assert.equal(r.job.attempts, 5);
  assert.equal(r.job.status.state === 'running' && r.job.status.attempt, 3);
});

test('run time never goes negative when the clock steps back', () => {
  const r = apply(jobIn('running'), { ...EVENTS['finish-ok'], now: 500 });
  assert.ok(r.ok && r.job.status.state === 'done');
  assert.equal(r.job.status.runMs, 0);
  const resumed = apply(jobIn('paused'), { ...EVENTS.resume, now: 3000 });
  assert.ok(resumed.ok && resumed.job.status.state === 'running');
  assert.equal(resumed.job.status.pausedMs, 500, 'a resume before the pause began adds nothing');
});

// ---- a whole life with injected clocks --------------------------------------------------------

test('assign → start → pause → resume → pause → resume → finish: runMs excludes both pauses', () => {
  let job: Job = { batchId: 'b', name: 'life', attempts: 0, retries: 0, status: { state: 'queued', since: 0 } };
  const step = (event: JobEvent) => {
    const r = apply(job, event);
    assert.ok(r.ok, r.ok ? '' : r.error);
    job = r.job;
    return job.status;
  };
  assert.deepEqual(step({ type: 'assign', node: 'w', runId: 'Rw', now: 10 }), { state: 'assigned', node: 'w', runId: 'Rw', attempt: 1, at: 10 });
  assert.equal(job.attempts, 1);
  step({ type: 'start', runId: 'Rw', now: 100 });
  step({ type: 'pause', runId: 'Rw', until: null, now: 300 });
  step({ type: 'resume', runId: 'Rw', now: 700 }); // 400 paused
  step({ type: 'pause', runId: 'Rw', until: 5000, now: 1000 });
  assert.deepEqual(step({ type: 'resume', runId: 'Rw', now: 1600 }), {
    state: 'running', node: 'w', runId: 'Rw', attempt: 1, startedAt: 100, pausedMs: 1000,
  });
  assert.deepEqual(step({ type: 'finish', runId: 'Rw', node: 'w', attempt: 1, result: OK, now: 2100, maxRetries: 0 }), {
    state: 'done', result: OK, node: 'w', runId: 'Rw', attempt: 1, startedAt: 100, endedAt: 2100, runMs: 1000,
  });
});

test('lose then re-assign: the next attempt number is used and the old run can no longer start it', () => {
  const lost = apply(jobIn('running'), EVENTS.lose);
  assert.ok(lost.ok);
  const again = apply(lost.job, { type: 'assign', node: 'n1', runId: 'R3', now: NOW + 1 });
  assert.ok(again.ok);
  assert.deepEqual(again.job.status, { state: 'assigned', node: 'n1', runId: 'R3', attempt: 3, at: NOW + 1 });
  assert.equal(again.job.attempts, 3);
  // Same node, but the old run: refused.
  const oldStart = apply(again.job, { type: 'start', runId: 'R1', now: NOW + 2 });
  assert.deepEqual(oldStart, { ok: false, error: 'job job-a: cannot start while assigned' });
});

test('retry re-queues a failed, killed, unstartable or cancelled job; never a succeeded or build-failed one', () => {
  const retryable: JobResult[] = [FAILED, { outcome: 'killed', signal: 'SIGKILL' }, { outcome: 'spawn-failed', message: 'ENOENT' }, cancelled];
  for (const result of retryable) {
    const r = transition(jobIn('done', { retries: 1, status: doneBy(result, { node: 'n1', runId: 'R1', attempt: 2, startedAt: 1000, endedAt: 5000, runMs: 3500 }) }), EVENTS.retry);
    assert.ok(r.ok, result.outcome);
    assert.deepEqual(r.job.status, { state: 'queued', since: NOW });
    assert.equal(r.job.attempts, 2, 'the next run is attempt 3');
    assert.equal(r.job.retries, 0, 'max_retries counts afresh');
  }
  for (const result of [OK, { outcome: 'build-failed', message: 'x' } as JobResult]) {
    assert.equal(transition(jobIn('done', { status: doneBy(result, { node: null, runId: null, attempt: 2, startedAt: null, endedAt: 5000, runMs: 0 }) }), EVENTS.retry).ok, false, result.outcome);
  }
});
