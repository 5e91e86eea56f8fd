/**
 * The batch book on injected fakes (clock, in-memory store, an archive of stored results): lookup,
 * job changes through `transition()` (each persisted and announced, an impossible one refused),
 * re-queueing, recovery from the archive after a crash, and the one place a batch ends.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JobResult, JobState } from '../../../../shared/job/state.ts';
import type { JobResultMeta } from '../../../../head/archive/archive.ts';
import { activeBatch, coreParts, running as RUNNING, stateOf } from './fakes.ts';

const OK: JobResult = { outcome: 'succeeded', exitCode: 0 };
const DONE = (result: JobResult): JobState => ({ state: 'done', result, node: 'a', runId: 'rx', attempt: 1, startedAt: 1, endedAt: 2, runMs: 1 });

function setup() {
  const { clock, store, seen, logs, book } = coreParts();
  return { clock, store, seen, logs, book };
}

test('find: by id, by namespace/name, by a unique name; an ambiguous or unknown one is an error naming it', () => {
  const t = setup();
  const a = activeBatch('id1', {});
  const b = activeBatch('id2', {});
  b.record = { ...b.record, namespace: 'other', name: 'id1' };
  for (const d of [a, b]) t.book.batches.set(d.record.id, d);
  assert.equal(t.book.find('id2').ok && (t.book.find('id2') as { value: unknown }).value, b);
  assert.equal((t.book.find('other/id1') as { value: unknown }).value, b);
  const ambiguous = t.book.find('id1');
  assert.equal(ambiguous.ok ? 'ok' : ambiguous.problem, 'ok', 'an id wins over a name');
  assert.deepEqual(t.book.find('nope'), { ok: false, problem: 'not-found', error: "no batch 'nope'" });
  const c = activeBatch('id3', {});
  c.record = { ...c.record, name: 'twin' };
  const d = activeBatch('id4', {});
  d.record = { ...d.record, namespace: 'x', name: 'twin' };
  for (const doc of [c, d]) t.book.batches.set(doc.record.id, doc);
  const twin = t.book.find('twin');
  assert.equal(twin.ok ? 'ok' : twin.problem, 'conflict');
  assert.match(twin.ok ? '' : twin.error, /ns\/twin, x\/twin/);
});

test('apply: a possible event changes the job, persists it and announces it; an impossible one changes nothing', () => {
  const t = setup();
  const doc = activeBatch('B', { j: { state: 'queued', since: 0 } });
  t.book.batches.set('B', doc);
  assert.equal(t.book.apply(doc, 0, { type: 'assign', node: 'a', runId: 'r1', now: t.clock.t }), true);
  assert.equal(stateOf(doc, 'j').state, 'assigned');
  assert.deepEqual(t.store.touchedJobs, [{ batchId: 'B', index: 0 }]);
  assert.deepEqual(t.seen.of('job:changed'), [{ batchId: 'B', job: 'j' }]);
  assert.equal(t.book.apply(doc, 0, { type: 'start', runId: 'other', now: t.clock.t }), false);
  assert.equal(stateOf(doc, 'j').state, 'assigned');
  assert.equal(t.store.touchedJobs.length, 1);
  assert.ok(t.logs.some((l) => /ignored: job j: cannot start while assigned/.test(l)));
  assert.deepEqual(t.book.index(doc).activePositions(), [0], 'the index follows');
});

test('requeue and requeueHeldBy put the runs of a node back in the queue; a run the job no longer holds is left', () => {
  const t = setup();
  const doc = activeBatch('B', { j1: RUNNING('r1'), j2: RUNNING('r2'), j3: RUNNING('r3', 'b') });
  t.book.batches.set('B', doc);
  t.book.requeue(doc, 0, 'r-old', 'x');
  assert.equal(stateOf(doc, 'j1').state, 'running');
  assert.deepEqual(t.book.heldBy(doc, 'a'), [0, 1]);
  t.book.requeueHeldBy(doc, 'a', 'node lost');
  assert.deepEqual(doc.jobs.map((j) => j.status.state), ['queued', 'queued', 'running']);
  assert.deepEqual(t.seen.of('job:requeued'), [
    { batchId: 'B', job: 'j1', node: 'a', runId: 'r1', reason: 'node lost' },
    { batchId: 'B', job: 'j2', node: 'a', runId: 'r2', reason: 'node lost' },
  ]);
  assert.deepEqual(doc.jobs.map((j) => j.retries), [0, 0, 0], 'a lost run is not a retry');
});

test('recoverFromArchive: a result the store missed makes its job done with the archived times', async () => {
  const t = setup();
  const doc = activeBatch('B', { lost: RUNNING('r1'), queued: { state: 'queued', since: 0 }, other: { state: 'queued', since: 0 }, retried: { state: 'queued', since: 0 }, done: DONE(OK) });
  doc.record = { ...doc.record, retried: { retried: 3 } };
  const stored = (job: string, over: Partial<JobResultMeta> = {}): JobResultMeta => ({
    batchId: 'B', namespace: 'ns', batch: 'B', job, runId: `run-${job}`, attempt: 1, node: 'n9', result: OK,
    startedAt: 100, endedAt: 900, runMs: 700, files: [], bytes: 0, ...over,
  });
  const asked: string[] = [];
  const archive = {
    async readResult(_ns: string, _b: string, job: string): Promise<JobResultMeta | null> {
      asked.push(job);
      if (job === 'lost' || job === 'queued') return stored(job);
      if (job === 'other') return stored(job, { batchId: 'an earlier batch of the same name' });
      if (job === 'retried') return stored(job, { attempt: 3 });
      return null;
    },
  };
  await t.book.recoverFromArchive(doc, archive);
  assert.deepEqual(stateOf(doc, 'lost'), { state: 'done', result: OK, node: 'n9', runId: 'run-lost', attempt: 1, startedAt: 100, endedAt: 900, runMs: 700 });
  assert.equal(stateOf(doc, 'queued').state, 'done');
  assert.equal(stateOf(doc, 'other').state, 'queued', 'a result of another batch id is not this job\'s');
  assert.equal(stateOf(doc, 'retried').state, 'queued', 'the result `retry` superseded is not taken again');
  assert.ok(!asked.includes('done'), 'done jobs are not looked up');
  const archive01 = { async readResult(): Promise<JobResultMeta | null> { return { ...stored('x'), batchId: 'C', runId: undefined }; } };
  const old = activeBatch('C', { x: { state: 'queued', since: 0 } });
  await t.book.recoverFromArchive(old, archive01);
  assert.equal((stateOf(old, 'x') as { runId: string | null }).runId, null, 'a 0.1 result has no run id');
});

test('checkEnd: an active batch ends once every job is done, once, with its counts', () => {
  const t = setup();
  const doc = activeBatch('B', { a: DONE(OK), b: DONE({ outcome: 'failed', exitCode: 1 }), c: RUNNING('r1') });
  t.book.batches.set('B', doc);
  t.book.checkEnd(doc);
  assert.equal(doc.record.phase, 'active', 'a job still runs');
  assert.ok(t.book.apply(doc, 2, { type: 'cancel', by: 'bob', now: t.clock.t }));
  t.clock.t = 50_010;
  t.book.checkEnd(doc);
  assert.deepEqual(doc.record, { id: 'B', namespace: 'ns', name: 'B', owner: 'alice', createdAt: 0, buildFailures: {}, phase: 'ended', submittedAt: 10, outcome: 'finished', endedAt: 50_010, inputsCleaned: false });
  assert.deepEqual(t.seen.of('batch:ended'), [{
    batchId: 'B', namespace: 'ns', batch: 'B', owner: 'alice', matrixUser: undefined, outcome: 'finished',
    succeeded: 1, failed: 1, cancelled: 1, total: 3, runMs: 50_000, buildLog: undefined,
  }]);
  assert.ok(t.store.touchedRecords.includes('B'));
  t.book.checkEnd(doc);
  assert.equal(t.seen.of('batch:ended').length, 1, 'ended once');
});

test('checkEnd: a batch whose every job failed to build ends build-failed with the last build log; a kill ends it cancelled', () => {
  const t = setup();
  const bf = activeBatch('B', { a: DONE({ outcome: 'build-failed', message: 'x' }), b: DONE({ outcome: 'build-failed', message: 'x' }) });
  bf.record.buildFailures.n1 = 'log one';
  bf.record.buildFailures.n2 = 'log two';
  t.book.checkEnd(bf);
  assert.equal(bf.record.phase === 'ended' && bf.record.outcome, 'build-failed');
  assert.equal(t.seen.of('batch:ended')[0].buildLog, 'log two');
  const killed = activeBatch('K', { a: DONE({ outcome: 'cancelled', by: 'bob' }) });
  t.book.checkEnd(killed, 'cancelled');
  assert.equal(killed.record.phase === 'ended' && killed.record.outcome, 'cancelled');
  const uploading = activeBatch('U', { a: DONE(OK) });
  uploading.record = { id: 'U', namespace: 'ns', name: 'U', owner: 'alice', createdAt: 0, buildFailures: {}, phase: 'uploading' };
  t.book.checkEnd(uploading);
  assert.equal(uploading.record.phase, 'uploading', 'a batch never submitted does not end');
});
