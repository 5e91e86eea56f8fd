/**
 * The reporter of finished runs (result-reporter.ts) with a fake link and a fake clock: it sends
 * job-finished until acknowledged, re-sends after the ack timeout, re-uploads what the head reports
 * missing (giving up after five rounds), waits for the next welcome when offline, and hands a run
 * back instead of reporting it when told to.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AgentMessage } from '../../../../shared/protocol/index.ts';
import { AgentStore, type PersistedRun } from '../../../../electron/agent/agent-store.ts';
import { ResultReporter } from '../../../../electron/agent/result-reporter.ts';
import { FakeClock, settle } from '../../../helpers/fake-clock.ts';

function finishedRun(runId: string): PersistedRun {
  return {
    runId, runKey: 'k', attempt: 1, startedAt: 1000, pausedMs: 0, whole: true,
    batch: { id: 'b', owner: 'o', namespace: 'lab', name: 'sweep', kind: 'shell', capabilities: [], resources: {}, maxRetries: 0, requiredMounts: [], initFiles: [] },
    spec: { name: runId, command: 'true', files: [] },
    state: { phase: 'finished', finished: { result: { outcome: 'succeeded', exitCode: 0 }, endedAt: 3000, runMs: 2000, files: [] } },
  };
}

function setup() {
  const clock = new FakeClock();
  const store = new AgentStore(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'reporter-')), 'agent-state.json'), () => undefined);
  const sent: AgentMessage[] = [];
  const link = { connected: true, send: (m: AgentMessage) => { if (!link.connected) return false; sent.push(m); return true; } };
  const uploads: string[][] = [];
  const removed: string[] = [];
  /** What the head of the moment takes inline (its welcome), and the files readInline finds. */
  const head = { inline: true, readable: new Map<string, string>() };
  const reporter = new ResultReporter({
    store, link, clock,
    upload: async (_run, only) => { uploads.push([...only]); return []; },
    readInline: (_run, paths) => paths.filter((p) => head.readable.has(p)).map((p) => ({ path: p, data: Buffer.from(head.readable.get(p)!).toString('base64') })),
    inlineAccepted: () => head.inline,
    removeRunDir: async (r) => { removed.push(r.runId); },
  });
  let changes = 0;
  reporter.on('changed', () => { changes++; });
  const finished = () => sent.filter((m) => m.type === 'job-finished');
  return { clock, store, sent, link, uploads, removed, reporter, finished, changes: () => changes, head };
}

test('job-finished carries the run times; an ack releases the run (recent list, run folder, state saved)', async () => {
  const t = setup();
  const run = finishedRun('r1');
  t.store.state.runs.push(run);
  const done = t.reporter.report(run);
  await settle();
  assert.deepEqual(t.finished().map((m) => m.type === 'job-finished' && [m.runId, m.startedAt, m.endedAt, m.runMs]), [['r1', 1000, 3000, 2000]]);
  t.reporter.onAck({ type: 'result-ack', runId: 'r1', status: 'archived' });
  await done;
  assert.deepEqual(t.store.state.runs, []);
  assert.deepEqual(t.removed, ['r1']);
  assert.equal(t.store.state.recent[0]?.outcome, 'succeeded');
  assert.equal(t.changes(), 1);
  assert.equal(t.clock.pending, 0, 'the ack timer is cleared');
});

test('no answer: sent again every 30 s on the clock, for as long as connected', async () => {
  const t = setup();
  const run = finishedRun('r1');
  t.store.state.runs.push(run);
  const done = t.reporter.report(run);
  await t.clock.advance(29_999);
  assert.equal(t.finished().length, 1);
  await t.clock.advance(1);
  assert.equal(t.finished().length, 2);
  await t.clock.advance(30_000);
  assert.equal(t.finished().length, 3);
  t.reporter.onAck({ type: 'result-ack', runId: 'r1', status: 'discarded' });
  await done;
  assert.equal(t.store.state.recent[0]?.outcome, 'discarded');
});

test('offline: report() returns and the next welcome reports again; a head that restarted gets the same report', async () => {
  const t = setup();
  const run = finishedRun('r1');
  t.store.state.runs.push(run);
  t.link.connected = false;
  await t.reporter.report(run);
  assert.equal(t.finished().length, 0);
  assert.equal(t.clock.pending, 0);
  t.link.connected = true;
  t.reporter.onWelcome(run);
  await settle();
  assert.equal(t.finished().length, 1);
  t.reporter.onWelcome(run);
  assert.equal(t.finished().length, 2, 'the welcome of a new connection re-sends the waiting report');
  t.reporter.onAck({ type: 'result-ack', runId: 'r1', status: 'archived' });
  await settle();
  assert.deepEqual(t.store.state.runs, []);
});

test('missing files are uploaded again; after five rounds the reporter gives up and keeps the run', async () => {
  const t = setup();
  const run = finishedRun('r1');
  t.store.state.runs.push(run);
  const done = t.reporter.report(run);
  for (let i = 0; i < 5; i++) {
    await settle();
    t.reporter.onAck({ type: 'result-ack', runId: 'r1', status: 'missing-files', missing: ['out.txt'] });
    await settle();
  }
  await done;
  assert.equal(t.uploads.length, 5);
  assert.deepEqual(t.uploads[0], ['out.txt']);
  assert.equal(t.store.state.runs.length, 1, 'still held: reported again at the next welcome');
  assert.equal(t.clock.pending, 0);
});

test('hand back: job-rejected with the reason, "handed back" in the recent list, run forgotten', async () => {
  const t = setup();
  const run: PersistedRun = { ...finishedRun('r1'), state: { phase: 'running', pid: 1000, pgid: 1000, pausedAt: null } };
  t.store.state.runs.push(run);
  await t.clock.advance(5000);
  await t.reporter.handBack(run, 'the agent on this node was stopped');
  const rejected = t.sent.find((m) => m.type === 'job-rejected');
  assert.equal(rejected?.type === 'job-rejected' && rejected.reason, 'the agent on this node was stopped');
  assert.equal(t.store.state.recent[0]?.outcome, 'handed back');
  assert.equal(t.store.state.recent[0]?.endedAt, t.clock.now());
  assert.deepEqual(t.store.state.runs, []);
  assert.deepEqual(t.removed, ['r1']);
});

/** A finished run whose two logs are kept for an inline report. */
function inlineRun(runId: string): PersistedRun {
  const run = finishedRun(runId);
  if (run.state.phase !== 'finished') throw new Error('unreachable');
  const sha = 'a'.repeat(64);
  run.state.finished.files = [{ path: '_distribute/stdout.log', size: 3, sha256: sha }, { path: '_distribute/stderr.log', size: 0, sha256: sha }, { path: 'big.bin', size: 9, sha256: sha }];
  run.state.finished.inline = ['_distribute/stdout.log', '_distribute/stderr.log'];
  return run;
}

test('inline files travel in job-finished, read at each send; files the head asks for again are uploaded and never inline again', async () => {
  const t = setup();
  t.head.readable.set('_distribute/stdout.log', 'hi\n').set('_distribute/stderr.log', '');
  const run = inlineRun('r1');
  t.store.state.runs.push(run);
  const done = t.reporter.report(run);
  await settle();
  const first = t.finished()[0];
  assert.ok(first?.type === 'job-finished');
  assert.deepEqual(first.inline, [{ path: '_distribute/stdout.log', data: Buffer.from('hi\n').toString('base64') }, { path: '_distribute/stderr.log', data: '' }]);
  assert.equal(first.files.length, 3, 'the list still names every file, inline or uploaded');
  assert.deepEqual(t.uploads, [], 'nothing uploaded for the inline files');
  t.reporter.onAck({ type: 'result-ack', runId: 'r1', status: 'missing-files', missing: ['_distribute/stdout.log'] });
  await settle();
  assert.deepEqual(t.uploads, [['_distribute/stdout.log']], 'uploaded over HTTP');
  const second = t.finished()[1];
  assert.ok(second?.type === 'job-finished');
  assert.deepEqual(second.inline?.map((f) => f.path), ['_distribute/stderr.log'], 'the refused file is no longer inline');
  t.reporter.onAck({ type: 'result-ack', runId: 'r1', status: 'archived' });
  await done;
  assert.deepEqual(t.store.state.runs, []);
});

test('a head that does not take inline files (an older one) gets them uploaded before the report, which carries none', async () => {
  const t = setup();
  t.head.inline = false;
  t.head.readable.set('_distribute/stdout.log', 'hi\n').set('_distribute/stderr.log', '');
  const run = inlineRun('r1');
  t.store.state.runs.push(run);
  const done = t.reporter.report(run);
  await settle();
  assert.deepEqual(t.uploads, [['_distribute/stdout.log', '_distribute/stderr.log']]);
  const m = t.finished()[0];
  assert.ok(m?.type === 'job-finished');
  assert.equal(m.inline, undefined);
  t.reporter.onAck({ type: 'result-ack', runId: 'r1', status: 'archived' });
  await done;
});
