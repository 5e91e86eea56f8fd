/**
 * The node registry and node loss on injected fakes (clock, links, in-memory store): every event a
 * node can cause (hello with the runs it still holds, leaving, disconnect, silence, pause, removal) and
 * what it does to the node's presence and to the jobs, including the edge cases of
 * docs/fault-tolerance.md: a node that comes back with a run the head re-queued keeps it (adopt),
 * a run finished elsewhere meanwhile is cancelled, a claim without the run's key is refused, a
 * head that froze does not lose its nodes, and the wait for nodes after a head restart.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { longestReconnectDelayMs } from '../../../../shared/protocol/reconnect.ts';
import { isAccepting, linkOf, nodeState } from '../../../../head/core/live-node.ts';
import { NodeRegistry } from '../../../../head/core/node-registry.ts';
import { NodeLoss } from '../../../../head/core/node-loss.ts';
import { Enrollment } from '../../../../head/core/enrollment.ts';
import type { BatchDoc, NodeRecord, Principal } from '../../../../head/state/types.ts';
import { activeBatch, coreParts, running as RUNNING, CAPS, FakeLink, held, hello, runRecord, stateOf } from './fakes.ts';

const TIMEOUT = 5000;

function setup(opts: { batches?: BatchDoc[]; runs?: ReturnType<typeof runRecord>[] } = {}) {
  const { clock, store, events, seen, logs, leases, book } = coreParts(opts.batches, opts.runs);
  let schedules = 0;
  const saved: NodeRecord[][] = [];
  const reg = new NodeRegistry({
    book, leases, events, now: clock.now, log: (l) => logs.push(l), nodeTimeoutMs: TIMEOUT, heartbeatMs: 1000,
    saveRecords: (r) => saved.push(r), scheduleSoon: () => { schedules++; },
  });
  const meta = { users: [], nodes: [], credentials: [] };
  const enrollment = new Enrollment({ meta: () => meta, saveMetaNow: async () => {}, now: clock.now, log: (l) => logs.push(l) });
  enrollment.load();
  const loss = new NodeLoss({ registry: reg, enrollment, meta: () => meta, saveMetaNow: async () => {}, now: clock.now, log: (l) => logs.push(l), nodeTimeoutMs: TIMEOUT });
  return { clock, store, events, seen, logs, leases, book, reg, loss, enrollment, saved, get schedules() { return schedules; } };
}

function record(name: string, over: Partial<NodeRecord> = {}): NodeRecord {
  return { name, owner: null, capabilities: CAPS, lastSeen: 0, connectedAt: 0, built: [], lastBatch: null, paused: null, agentVersion: 'test', ...over };
}

/** Let `ms` pass with the timeout check running every second, as the head's timer does. */
function pass(t: ReturnType<typeof setup>, ms: number): void {
  for (let left = ms; left > 0; left -= 1000) {
    t.clock.advance(Math.min(1000, left));
    t.loss.checkTimeouts();
  }
}


// ---- hello ------------------------------------------------------------------------------------

test('hello: welcome with the timeouts, the node connected and accepting, scheduling asked for', () => {
  const t = setup();
  const l = new FakeLink();
  t.reg.hello(hello('a'), l, 'cred-1');
  const welcome = l.of('welcome')[0];
  assert.equal(welcome.nodeId, 'a');
  assert.equal(welcome.timeoutMs, TIMEOUT);
  assert.equal(welcome.heartbeatMs, 1000);
  assert.equal(welcome.credential, 'cred-1');
  const node = t.reg.nodes.get('a')!;
  assert.equal(node.presence.state, 'connected');
  assert.equal(linkOf(node), l);
  assert.ok(isAccepting(node));
  assert.equal(nodeState(node, false), 'idle');
  assert.equal(node.record.connectedAt, t.clock.t);
  assert.deepEqual(t.seen.of('node:connected'), [{ node: 'a' }]);
  assert.equal(t.schedules, 1);
  assert.equal(t.saved.at(-1)?.[0].name, 'a', 'the record is persisted');
});

test('a second connection of the same node closes the first; the old one closing later changes nothing', () => {
  const t = setup();
  const first = new FakeLink();
  const second = new FakeLink();
  t.reg.hello(hello('a'), first);
  t.reg.hello(hello('a'), second);
  assert.equal(first.closed?.code, 4004);
  t.reg.disconnected('a', first);
  assert.equal(t.reg.nodes.get('a')!.presence.state, 'connected', 'the stale socket\'s close is ignored');
  t.reg.disconnected('a', second);
  assert.equal(t.reg.nodes.get('a')!.presence.state, 'offline');
});

test('hello: a job the head has on this node that the node does not report is re-queued', () => {
  const doc = activeBatch('B', { j1: RUNNING('r1'), j2: RUNNING('r2', 'other') });
  const t = setup({ batches: [doc], runs: [runRecord('r1', 'B', 'j1', 'a'), runRecord('r2', 'B', 'j2', 'other')] });
  t.reg.hello(hello('a'), new FakeLink());
  assert.equal(stateOf(doc, 'j1').state, 'queued');
  assert.equal(stateOf(doc, 'j2').state, 'running', 'another node\'s job is left alone');
  assert.deepEqual(t.seen.of('job:requeued').map((e) => [e.job, e.reason]), [['j1', 'node restarted without the job']]);
});

test('hello: a run still held is reconciled: assigned becomes running, a reported pause is applied', () => {
  const doc = activeBatch('B', {
    j1: { state: 'assigned', node: 'a', runId: 'r1', attempt: 1, at: 400 },
    j2: RUNNING('r2'),
  });
  const t = setup({ batches: [doc], runs: [runRecord('r1', 'B', 'j1', 'a'), runRecord('r2', 'B', 'j2', 'a')] });
  const l = new FakeLink();
  t.reg.hello(hello('a', [held('r1', 'running'), held('r2', 'paused', { pausedUntil: 9_999_999 })]), l);
  assert.deepEqual(stateOf(doc, 'j1'), { state: 'running', node: 'a', runId: 'r1', attempt: 1, startedAt: t.clock.t, pausedMs: 0 });
  const j2 = stateOf(doc, 'j2');
  assert.equal(j2.state, 'paused');
  assert.equal(j2.state === 'paused' && j2.until, 9_999_999);
  assert.deepEqual([...t.reg.nodes.get('a')!.runs.keys()].sort(), ['r1', 'r2']);
  assert.deepEqual(l.of('cancel'), []);
  assert.equal(t.leases.get('r1')?.link, l, 'the lease moved to the new connection');
});

test('adopt: a node back with a run of a job the head re-queued keeps running it (nothing runs twice)', () => {
  const doc = activeBatch('B', { j1: { state: 'queued', since: 0 }, j2: { state: 'queued', since: 0 } }, {}, 1);
  const t = setup({ batches: [doc], runs: [runRecord('r1', 'B', 'j1', 'a', 3), runRecord('r2', 'B', 'j2', 'a', 1)] });
  t.reg.hello(hello('a', [held('r1', 'paused', { pausedUntil: null }), held('r2', 'finished')]), new FakeLink());
  const j1 = stateOf(doc, 'j1');
  assert.equal(j1.state, 'paused', 'adopted, then the reported pause applied');
  assert.equal(j1.state === 'paused' && j1.runId, 'r1');
  assert.equal(doc.jobs[0].attempts, 3, 'the attempt count is at least the run\'s');
  // A finished run whose report is on its way: running here until it is reported.
  assert.deepEqual(stateOf(doc, 'j2'), { state: 'running', node: 'a', runId: 'r2', attempt: 1, startedAt: t.clock.t, pausedMs: 0 });
  assert.ok(t.store.touchedJobs.length >= 3, 'every change went to the store');
});

test('hello: a run whose job finished elsewhere is cancelled and may upload nothing more', () => {
  const done = { state: 'done' as const, result: { outcome: 'succeeded' as const, exitCode: 0 as const }, node: 'b', runId: 'r9', attempt: 2, startedAt: 1, endedAt: 2, runMs: 1 };
  const doc = activeBatch('B', { j1: done });
  const t = setup({ batches: [doc], runs: [runRecord('r1', 'B', 'j1', 'a'), runRecord('r9', 'B', 'j1', 'b', 2)] });
  const l = new FakeLink();
  t.reg.hello(hello('a', [held('r1', 'running')]), l);
  assert.deepEqual(l.of('cancel').map((c) => [c.runId, c.reason]), [['r1', 'job already finished elsewhere']]);
  assert.equal(t.leases.get('r1')?.ended, true);
  assert.deepEqual(stateOf(doc, 'j1'), done);
  const node = t.reg.nodes.get('a')!;
  assert.equal(node.runs.size, 0, 'the cancelled stray is not held against the node');
  assert.equal(nodeState(node, false), 'idle');
  // A stray that finished while its agent was down: no cancel, the re-sent report is discarded.
  const l2 = new FakeLink();
  t.reg.hello(hello('a', [held('r1', 'finished')]), l2);
  assert.deepEqual(l2.of('cancel'), []);
  assert.equal(t.reg.nodes.get('a')!.runs.size, 0);
});

test('hello: a run of a job that now runs as another run goes on too (first to finish wins)', () => {
  const doc = activeBatch('B', { j1: RUNNING('r2', 'b', 2) });
  const t = setup({ batches: [doc], runs: [runRecord('r1', 'B', 'j1', 'a'), runRecord('r2', 'B', 'j1', 'b', 2)] });
  const l = new FakeLink();
  t.reg.hello(hello('a', [held('r1', 'running')]), l);
  assert.deepEqual(l.of('cancel'), []);
  assert.equal(stateOf(doc, 'j1').state === 'running' && (stateOf(doc, 'j1') as { runId: string }).runId, 'r2');
  assert.ok(t.reg.nodes.get('a')!.runs.has('r1'), 'the stray run still occupies its node');
  assert.ok(t.logs.some((l) => /first to finish wins/.test(l)));
});

test('hello: claims without the run\'s key, of another node\'s run, or of an unknown job are refused with a cancel', () => {
  const doc = activeBatch('B', { j1: RUNNING('r1', 'a'), j2: RUNNING('r2', 'b') });
  const t = setup({ batches: [doc], runs: [runRecord('r1', 'B', 'j1', 'a'), runRecord('r2', 'B', 'j2', 'b'), runRecord('r3', 'B', 'gone', 'a')] });
  const l = new FakeLink();
  t.reg.hello(hello('a', [held('r1', 'running', { runKey: 'stolen' }), held('r2', 'running'), held('r3', 'running'), held('r4', 'finished')]), l);
  assert.deepEqual(l.of('cancel').map((c) => c.runId), ['r1', 'r2', 'r3'], 'a finished run is answered when its report comes');
  assert.match(l.of('cancel')[0].reason, /wrong run key/);
  assert.match(l.of('cancel')[1].reason, /assigned to node b/);
  assert.equal(l.of('cancel')[2].reason, 'unknown job');
  assert.equal(stateOf(doc, 'j1').state, 'queued', 'a refused claim does not count: the head\'s run on a is re-queued');
  assert.equal(stateOf(doc, 'j2').state, 'running');
  assert.equal(t.leases.get('r2')?.link, null, 'b\'s lease did not move');
});

test('hello: batches the node built that ended or are gone may be forgotten; one it still runs is kept', () => {
  const ended = activeBatch('E', { j: { state: 'done', result: { outcome: 'succeeded', exitCode: 0 }, node: 'a', runId: 'x', attempt: 1, startedAt: 1, endedAt: 2, runMs: 1 } });
  const live = activeBatch('L', { j: RUNNING('r1') });
  const t = setup({ batches: [ended, live], runs: [runRecord('r1', 'L', 'j', 'a')] });
  t.book.checkEnd(ended);
  const l = new FakeLink();
  t.reg.hello(hello('a', [held('r1', 'running')], ['E', 'L', 'gone']), l);
  assert.deepEqual(l.of('forget-batch').map((m) => m.batchId), ['E', 'gone']);
});

// ---- leaving, disconnect, pause ----------------------------------------------------------------

test('leaving: no new job on this connection; after the disconnect the node shows stopped, not lost', () => {
  const t = setup();
  const l = new FakeLink();
  t.reg.hello(hello('a'), l);
  t.reg.leaving('a');
  const node = t.reg.nodes.get('a')!;
  assert.equal(node.presence.state, 'leaving');
  assert.equal(linkOf(node), l, 'still connected');
  assert.ok(!isAccepting(node));
  assert.equal(node.record.leftAt, t.clock.t);
  t.reg.disconnected('a', l);
  assert.equal(node.presence.state, 'offline');
  assert.equal(nodeState(node, false), 'stopped');
  assert.equal(node.record.offlineSince, t.clock.t);
  t.reg.hello(hello('a'), new FakeLink());
  assert.equal(t.reg.nodes.get('a')!.record.leftAt, undefined, 'a new hello clears it');
  assert.ok(isAccepting(t.reg.nodes.get('a')!));
});

test('paused and resumed: a paused node takes no job and shows paused; resuming asks for scheduling', () => {
  const t = setup();
  t.reg.hello(hello('a'), new FakeLink());
  const before = t.schedules;
  t.reg.paused('a', t.clock.t + 60_000);
  const node = t.reg.nodes.get('a')!;
  assert.deepEqual(node.record.paused, { since: t.clock.t, until: t.clock.t + 60_000 });
  assert.ok(!isAccepting(node));
  assert.equal(nodeState(node, false), 'paused');
  t.reg.resumed('a');
  assert.equal(node.record.paused, null);
  assert.ok(isAccepting(node));
  assert.equal(t.schedules, before + 1);
  t.reg.hello(hello('a'), new FakeLink());
  t.reg.paused('a', null);
  t.reg.hello(hello('a'), new FakeLink());
  assert.deepEqual(t.reg.nodes.get('a')!.record.paused, { since: t.clock.t, until: null }, 'a pause outlives a reconnect');
});

// ---- silence -----------------------------------------------------------------------------------

test('a node silent past the timeout is lost: socket closed, runs re-queued (no retry used), node:lost', () => {
  const doc = activeBatch('B', { j1: RUNNING('r1') });
  const t = setup({ batches: [doc], runs: [runRecord('r1', 'B', 'j1', 'a')] });
  const l = new FakeLink();
  t.reg.hello(hello('a', [held('r1', 'running')]), l);
  t.loss.checkTimeouts();
  pass(t, TIMEOUT);
  assert.equal(t.reg.nodes.get('a')!.presence.state, 'connected', 'exactly the timeout is not past it');
  t.reg.seen('a');
  pass(t, TIMEOUT);
  assert.equal(t.reg.nodes.get('a')!.presence.state, 'connected', 'any message counts as a sign of life');
  t.clock.advance(1);
  t.loss.checkTimeouts();
  const node = t.reg.nodes.get('a')!;
  assert.equal(node.presence.state, 'lost');
  assert.equal(nodeState(node, false), 'lost');
  assert.equal(l.closed?.code, 4006);
  assert.equal(node.runs.size, 0);
  assert.deepEqual(stateOf(doc, 'j1'), { state: 'queued', since: t.clock.t });
  assert.equal(doc.jobs[0].retries, 0);
  assert.deepEqual(t.seen.of('node:lost'), [{ node: 'a', reason: 'timeout' }]);
  assert.equal(t.leases.get('r1')?.ended, false, 'a lost node\'s own run may still finish first');
  pass(t, TIMEOUT * 3);
  assert.equal(t.seen.of('node:lost').length, 1, 'lost once');
});

test('a node that comes back after being lost keeps the run the head re-queued meanwhile (adopt)', () => {
  const doc = activeBatch('B', { j1: RUNNING('r1') });
  const t = setup({ batches: [doc], runs: [runRecord('r1', 'B', 'j1', 'a')] });
  t.reg.hello(hello('a', [held('r1', 'running')]), new FakeLink());
  t.loss.checkTimeouts();
  pass(t, TIMEOUT + 1000);
  assert.equal(stateOf(doc, 'j1').state, 'queued');
  t.clock.advance(100);
  t.reg.hello(hello('a', [held('r1', 'running')]), new FakeLink());
  assert.deepEqual(stateOf(doc, 'j1'), { state: 'running', node: 'a', runId: 'r1', attempt: 1, startedAt: t.clock.t, pausedMs: 0 });
  assert.equal(t.reg.nodes.get('a')!.presence.state, 'connected');
});

test('a head that did not run for a while (frozen) does not lose its nodes for its own silence', () => {
  const t = setup();
  const l = new FakeLink();
  t.reg.hello(hello('a'), l);
  t.loss.checkTimeouts();
  t.clock.advance(TIMEOUT * 4); // the head was stopped: no check ran
  t.loss.checkTimeouts();
  assert.equal(t.reg.nodes.get('a')!.presence.state, 'connected');
  assert.ok(t.logs.some((x) => /head was unresponsive/.test(x)));
  t.clock.advance(TIMEOUT / 4);
  t.loss.checkTimeouts();
  t.clock.advance(TIMEOUT / 4);
  t.loss.checkTimeouts();
  assert.equal(t.reg.nodes.get('a')!.presence.state, 'connected', 'a full timeout from the thaw');
  for (let i = 0; i < 4; i++) { t.clock.advance(TIMEOUT / 4); t.loss.checkTimeouts(); }
  assert.equal(t.reg.nodes.get('a')!.presence.state, 'lost', 'still silent a full timeout after the thaw');
});

// ---- removal and control -----------------------------------------------------------------------

test('remove: the socket is closed with the code, the jobs re-queued, the node forgotten', () => {
  const doc = activeBatch('B', { j1: RUNNING('r1') });
  const t = setup({ batches: [doc], runs: [runRecord('r1', 'B', 'j1', 'a')] });
  const l = new FakeLink();
  t.reg.hello(hello('a', [held('r1', 'running')]), l);
  assert.equal(t.reg.forget('nobody', 4010, 'x'), false);
  assert.equal(t.reg.forget('a', 4010, 'revoked by admin'), true);
  assert.deepEqual(l.closed, { code: 4010, reason: 'revoked by admin' });
  assert.equal(t.reg.nodes.has('a'), false);
  assert.equal(stateOf(doc, 'j1').state, 'queued');
  assert.deepEqual(t.seen.of('node:lost'), [{ node: 'a', reason: 'revoked by admin' }]);
});

test('offlineLongerThan names nodes offline past the limit, never connected ones', () => {
  const t = setup();
  t.reg.restore([record('old', { connectedAt: null, offlineSince: 0 }), record('fresh', { connectedAt: null, offlineSince: t.clock.t - 10 })]);
  t.reg.hello(hello('on'), new FakeLink());
  assert.deepEqual(t.reg.offlineLongerThan(1000), ['old']);
});

test('control: admin or owner may pause a connected node; others and offline nodes are refused', () => {
  const t = setup();
  const l = new FakeLink();
  t.reg.hello({ ...hello('a'), owner: 'bob' }, l);
  t.reg.restore([record('off', { connectedAt: null })]);
  const bob: Principal = { kind: 'user', name: 'bob' };
  const eve: Principal = { kind: 'user', name: 'eve' };
  const pause = { type: 'pause' as const, until: null };
  assert.deepEqual(t.reg.control(eve, 'a', pause), { ok: false, problem: 'forbidden', error: "only an admin or the owner of node 'a' may pause it" });
  assert.equal((t.reg.control(bob, 'nope', pause) as { problem: string }).problem, 'not-found');
  assert.equal((t.reg.control({ kind: 'admin', name: 'root' }, 'off', pause) as { problem: string }).problem, 'conflict');
  assert.equal(t.reg.control(bob, 'a', pause).ok, true);
  assert.deepEqual(l.of('pause'), [{ type: 'pause', until: null }]);
});

// ---- after a head restart ---------------------------------------------------------------------

test('restore: nodes connected at the crash are awaited, the others offline since their last sighting', () => {
  const t = setup();
  t.reg.restore([record('was-on', { connectedAt: 5 }), record('was-off', { connectedAt: null, lastSeen: 7 })]);
  assert.equal(t.reg.nodes.get('was-on')!.presence.state, 'awaited');
  assert.equal(t.reg.nodes.get('was-on')!.record.offlineSince, t.clock.t);
  assert.equal(t.reg.nodes.get('was-off')!.presence.state, 'offline');
  assert.equal(t.reg.nodes.get('was-off')!.record.offlineSince, 7);
  assert.equal(nodeState(t.reg.nodes.get('was-on')!, false), 'offline');
  assert.ok(t.reg.recovering());
});

test('the recovery window counts from listening and covers the longest backoff plus one timeout', () => {
  const t = setup();
  const backoff = longestReconnectDelayMs(TIMEOUT);
  t.reg.restore([record('a', { reconnectWithinMs: backoff }), record('b', { reconnectWithinMs: backoff })]);
  t.clock.advance(4000); // a slow init: none of it counts against the nodes
  t.reg.listening(t.clock.t);
  const listenedAt = t.clock.t;
  t.clock.t = listenedAt + backoff + TIMEOUT - 1;
  t.loss.checkTimeouts();
  assert.deepEqual(t.seen.of('node:lost'), [], 'nobody is lost inside the window');
  assert.ok(t.reg.recovering(), 'scheduling still waits for the nodes');
  const l = new FakeLink();
  t.reg.hello(hello('a'), l);
  assert.equal(l.sent[0]?.type, 'welcome');
  assert.ok(t.reg.recovering(), 'still waiting for b');
  t.clock.t = listenedAt + backoff + TIMEOUT + 1;
  t.loss.checkTimeouts();
  assert.deepEqual(t.seen.of('node:lost').map((e) => e.node), ['b'], 'b never came back: lost once the window is over');
  assert.ok(!t.reg.recovering());
});

test('the wait ends as soon as every awaited node is back', () => {
  const t = setup();
  t.reg.restore([record('a'), record('b', { connectedAt: null })]);
  t.reg.listening(t.clock.t);
  assert.ok(t.reg.recovering());
  t.reg.hello(hello('a'), new FakeLink());
  assert.ok(!t.reg.recovering(), 'b was offline already: nobody to wait for');
});

test('nodes recorded before reconnectWithinMs existed get the agents\' absolute longest backoff', () => {
  const t = setup();
  t.clock.t = 0;
  t.reg.restore([record('old')]);
  t.reg.listening(t.clock.t);
  t.clock.t = longestReconnectDelayMs(undefined) + TIMEOUT - 1;
  t.loss.checkTimeouts();
  assert.deepEqual(t.seen.of('node:lost'), []);
  t.clock.t += 2;
  t.loss.checkTimeouts();
  assert.deepEqual(t.seen.of('node:lost').map((e) => e.node), ['old']);
});

test('while recovering, only jobs with a journaled run on a node not back yet wait for it', () => {
  const run = (runId: string, job: string, node: string) => runRecord(runId, 'B', job, node);
  // j1 ran on a (connected at the crash: awaited), j2 on c (offline already), j3 never ran, j4 on
  // b (back), j5 on b and then on a.
  const t = setup({ runs: [run('r1', 'j1', 'a'), run('r2', 'j2', 'c'), run('r4', 'j4', 'b'), run('r5', 'j5', 'b'), run('r6', 'j5', 'a')] });
  t.reg.restore([record('a'), record('b'), record('c', { connectedAt: null })]);
  t.reg.listening(t.clock.t);
  t.reg.hello(hello('b'), new FakeLink());
  assert.ok(t.reg.recovering(), 'a is still awaited');
  assert.deepEqual(['j1', 'j2', 'j3', 'j4', 'j5'].map((j) => t.reg.mayBeHeldByAbsent('B', j)), [true, true, false, false, true]);
  assert.equal(t.reg.mayBeHeldByAbsent('other batch', 'j1'), false);
  t.reg.hello(hello('a'), new FakeLink());
  assert.deepEqual(['j1', 'j5'].map((j) => t.reg.mayBeHeldByAbsent('B', j)), [false, false], 'a said hello: its runs are reconciled');
});

test('restore: a node recorded offline but assigned a run after that (its reconnect never reached the coalesced record) is awaited', () => {
  // b went offline at 100 and reconnected; the head assigned it r1 at 200 and crashed before the
  // node records were written again. Without the journal's word, j1 would go to a at once.
  const t = setup({ runs: [{ ...runRecord('r1', 'B', 'j1', 'b'), at: 200 }, { ...runRecord('r0', 'B', 'j0', 'c'), at: 50 }] });
  t.reg.restore([record('a'), record('b', { connectedAt: null, offlineSince: 100 }), record('c', { connectedAt: null, offlineSince: 100 })], t.leases.lastRunAt());
  t.reg.listening(t.clock.t);
  assert.equal(t.reg.nodes.get('b')!.presence.state, 'awaited');
  assert.equal(t.reg.nodes.get('c')!.presence.state, 'offline', 'c\'s last run is older than its going offline');
  t.reg.hello(hello('a'), new FakeLink());
  assert.ok(t.reg.recovering(), 'still waiting for b');
  assert.ok(t.reg.mayBeHeldByAbsent('B', 'j1'));
  t.reg.hello(hello('b'), new FakeLink());
  assert.ok(!t.reg.recovering());
});

test('restore: a node the journal knows but no record does (first hello just before the crash) is waited for by name', () => {
  const t = setup({ runs: [runRecord('r1', 'B', 'j1', 'new')] });
  t.reg.restore([record('a')], t.leases.lastRunAt());
  t.reg.listening(t.clock.t);
  t.reg.hello(hello('a'), new FakeLink());
  assert.ok(t.reg.recovering(), 'waits for the unrecorded node');
  assert.ok(t.reg.mayBeHeldByAbsent('B', 'j1'));
  t.reg.hello(hello('new'), new FakeLink());
  assert.ok(!t.reg.recovering());
});

test('restore: an unrecorded journaled node that never comes back holds up scheduling only for the window', () => {
  const t = setup({ runs: [runRecord('r1', 'B', 'j1', 'gone')] });
  t.reg.restore([], t.leases.lastRunAt());
  t.reg.listening(t.clock.t);
  assert.ok(t.reg.recovering());
  t.clock.advance(longestReconnectDelayMs(TIMEOUT) + TIMEOUT + 1);
  assert.ok(!t.reg.recovering());
});
