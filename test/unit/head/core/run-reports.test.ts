/**
 * What agents report about a run besides its end, and build results, on injected fakes (clock,
 * links, in-memory store): each report is taken only from the connection holding the run; a
 * hand-back re-queues until the maximum and then ends the job rejected; output is kept only for
 * the job's current run; a failed build keeps the batch off that node and fails its waiting jobs
 * once no compatible node is left.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BuildFailures } from '../../../../head/core/build-failures.ts';
import { LiveLogs } from '../../../../head/core/live-logs.ts';
import { NodeRegistry } from '../../../../head/core/node-registry.ts';
import { RunReports } from '../../../../head/core/run-reports.ts';
import type { BatchDoc } from '../../../../head/state/types.ts';
import { activeBatch, coreParts, running as RUNNING, FakeLink, held, hello, runRecord, stateOf } from './fakes.ts';


function setup(docs: BatchDoc[], runs: ReturnType<typeof runRecord>[], maxHandBacks = 2) {
  const { clock, store, events, seen, logs, leases, book } = coreParts(docs, runs);
  let schedules = 0;
  const scheduleSoon = () => { schedules++; };
  const registry = new NodeRegistry({ book, leases, events, now: clock.now, log: (l) => logs.push(l), nodeTimeoutMs: 5000, heartbeatMs: 1000, saveRecords: () => {}, scheduleSoon });
  const discarded: string[] = [];
  const archive = { async discardStaging(b: string, r?: string) { discarded.push([b, r].join('/')); } };
  const liveLogs = new LiveLogs(events);
  const reports = new RunReports({ book, leases, nodes: registry.nodes, events, logs: liveLogs, archive, now: clock.now, log: (l) => logs.push(l), scheduleSoon, maxHandBacks });
  const builds = new BuildFailures({ book, registry, leases, store, now: clock.now, log: (l) => logs.push(l), scheduleSoon });
  const links = new Map<string, FakeLink>();
  /** Node `name` says hello holding its runs (claimed with their keys). */
  const connect = (name: string) => {
    const link = new FakeLink();
    links.set(name, link);
    registry.hello(hello(name, runs.filter((r) => r.node === name).map((r) => held(r.runId, 'running'))), link);
    return { node: name, link };
  };
  return { clock, store, events, seen, logs, leases, book, registry, reports, builds, liveLogs, discarded, links, connect, get schedules() { return schedules; } };
}

test('start, pause and resume of a run change its job; from another connection they change nothing', () => {
  const doc = activeBatch('B', { j: { state: 'assigned', node: 'a', runId: 'r1', attempt: 1, at: 0 } });
  const t = setup([doc], [runRecord('r1', 'B', 'j', 'a')]);
  const a = t.connect('a'); // its hello reports the run running: the assigned job starts
  assert.equal(stateOf(doc, 'j').state, 'running');
  t.reports.paused({ node: 'a', link: new FakeLink() }, 'r1', null);
  assert.equal(stateOf(doc, 'j').state, 'running', 'a stranger\'s pause is refused');
  t.clock.advance(100);
  t.reports.paused(a, 'r1', t.clock.t + 1000);
  assert.equal(stateOf(doc, 'j').state, 'paused');
  t.clock.advance(400);
  t.reports.resumed(a, 'r1');
  const s = stateOf(doc, 'j');
  assert.equal(s.state === 'running' && s.pausedMs, 400);
});

test('started announces job:started once, for the run the job holds', () => {
  const doc = activeBatch('B', { j: { state: 'queued', since: 0 } });
  const t = setup([doc], []);
  const a = t.connect('a');
  t.leases.grant(runRecord('r1', 'B', 'j', 'a'), a.link); // as the scheduler does
  assert.ok(t.book.apply(doc, 0, { type: 'assign', node: 'a', runId: 'r1', now: t.clock.t }));
  t.reports.started(a, 'r1');
  t.reports.started(a, 'r1');
  assert.equal(stateOf(doc, 'j').state, 'running');
  assert.deepEqual(t.seen.of('job:started').map((e) => e.runId), ['r1']);
});

test('a rejected run is re-queued until the maximum of hand-backs, then the job ends rejected', () => {
  const doc = activeBatch('B', { j: RUNNING('r1') });
  const t = setup([doc], [runRecord('r1', 'B', 'j', 'a'), runRecord('r2', 'B', 'j', 'a', 2)]);
  const a = t.connect('a');
  t.reports.rejected(a, 'r1', 'busy');
  assert.equal(stateOf(doc, 'j').state, 'queued');
  assert.equal(t.leases.get('r1')?.ended, true);
  assert.deepEqual(t.discarded, ['B/r1']);
  assert.deepEqual(t.seen.of('job:requeued').map((e) => e.reason), ['rejected: busy']);
  assert.ok(t.book.apply(doc, 0, { type: 'assign', node: 'a', runId: 'r2', now: t.clock.t }));
  t.reports.rejected(a, 'r2', 'inputs missing');
  const s = stateOf(doc, 'j');
  assert.equal(s.state === 'done' && s.result.outcome, 'rejected');
  assert.match(s.state === 'done' && s.result.outcome === 'rejected' ? s.result.message : '', /2 times; last: inputs missing/);
  assert.deepEqual(t.seen.of('job:finished').map((e) => e.archived), [false]);
  assert.equal(doc.record.phase, 'ended');
});

test('a job in hand given back unstarted is not counted; the claim counts once the head saw it start, or for a run not in hand', () => {
  const doc = activeBatch('B', { j: { state: 'assigned', node: 'a', runId: 'r1', attempt: 1, at: 0 } });
  const t = setup([doc], [runRecord('r1', 'B', 'j', 'a'), runRecord('r2', 'B', 'j', 'a', 2), runRecord('r3', 'B', 'j', 'a', 3)], 1);
  const a = t.connect('a');
  t.registry.nodes.get('a')!.runs.get('r1')!.ahead = true;
  t.reports.rejected(a, 'r1', 'node is paused', true);
  assert.equal(stateOf(doc, 'j').state, 'queued', 'with a maximum of 1 hand-back, an uncounted one re-queues');
  assert.equal(doc.jobs[0].handBacks ?? 0, 0);
  // The same claim for a run the head does not know as in hand counts (and fails at the maximum).
  assert.ok(t.book.apply(doc, 0, { type: 'assign', node: 'a', runId: 'r2', now: t.clock.t }));
  t.registry.nodes.get('a')!.runs.set('r2', { runId: 'r2', batchId: 'B', job: 'j', attempt: 2 });
  t.reports.rejected(a, 'r2', 'node is paused', true);
  const s = stateOf(doc, 'j');
  assert.equal(s.state === 'done' && s.result.outcome, 'rejected');
});

test('output is kept and announced only for the job\'s current run', () => {
  const doc = activeBatch('B', { j: RUNNING('r2', 'b', 2) }, {}, 2);
  const t = setup([doc], [runRecord('r1', 'B', 'j', 'a'), runRecord('r2', 'B', 'j', 'b', 2)]);
  const a = t.connect('a');
  const b = t.connect('b');
  const announced: string[] = [];
  t.events.on('job:log', (e) => announced.push(`${e.runId}:${e.data}`));
  t.reports.log(a, 'r1', 'stdout', 'stale\n');
  t.reports.log(b, 'r2', 'stdout', 'current\n');
  assert.deepEqual(announced, ['r2:current\n']);
  assert.match(JSON.stringify(t.liveLogs.snapshot('B', 'j')), /current/);
  assert.doesNotMatch(JSON.stringify(t.liveLogs.snapshot('B', 'j')), /stale/);
});

test('exited frees the run\'s share once, counts its pending result bytes, and schedules', () => {
  const doc = activeBatch('B', { j: RUNNING('r1') });
  const t = setup([doc], [runRecord('r1', 'B', 'j', 'a')]);
  const a = t.connect('a');
  const before = t.schedules;
  t.reports.exited(a, 'r1', 4096);
  t.reports.exited(a, 'r1', 9999);
  assert.equal(t.reports.pendingResultBytes(), 4096);
  assert.equal(t.schedules, before + 1);
  assert.ok(t.registry.nodes.get('a')!.runs.has('r1'), 'the node still holds the run until its report is settled');
});

test('uploads: only with the run\'s key, from its node, while the job is not done', () => {
  const doc = activeBatch('B', { j: RUNNING('r1') });
  const t = setup([doc], [runRecord('r1', 'B', 'j', 'a')]);
  assert.equal(t.reports.uploadLease('r1', 'key-r1', 'a').ok, true);
  assert.deepEqual(t.reports.uploadLease('r1', 'wrong', 'a'), { ok: false, reason: 'wrong run key' });
  assert.deepEqual(t.reports.uploadLease('r1', 'key-r1', 'b'), { ok: false, reason: 'the run belongs to node a' });
  assert.ok(t.book.apply(doc, 0, { type: 'cancel', by: 'bob', now: t.clock.t }));
  assert.deepEqual(t.reports.uploadLease('r1', 'key-r1', 'a'), { ok: false, reason: 'the job is already done' });
});

test('a failed build keeps the batch off that node; once every compatible node failed, waiting jobs end build-failed', () => {
  const doc = activeBatch('B', { j1: RUNNING('r1'), j2: { state: 'queued', since: 0 } });
  const t = setup([doc], [runRecord('r1', 'B', 'j1', 'a')]);
  t.connect('a');
  t.connect('b');
  t.builds.succeeded('b', 'other');
  assert.deepEqual(t.registry.nodes.get('b')!.record.built, ['other']);
  t.builds.failed('a', 'B', 'x'.repeat(9000));
  assert.equal(doc.record.buildFailures.a.length, 8000, 'the tail of the log is kept');
  assert.equal(stateOf(doc, 'j1').state, 'queued', 'what a held is handed back');
  assert.equal(t.leases.get('r1')?.ended, true);
  assert.equal(t.registry.nodes.get('a')!.runs.size, 0);
  assert.equal(doc.record.phase, 'active', 'b may still build it');
  t.builds.failed('b', 'B', 'gcc: not found');
  assert.deepEqual(doc.jobs.map((j) => j.status.state), ['done', 'done']);
  assert.equal(t.seen.of('batch:ended')[0].outcome, 'build-failed');
  assert.equal(t.seen.of('batch:ended')[0].buildLog, 'gcc: not found');
});
