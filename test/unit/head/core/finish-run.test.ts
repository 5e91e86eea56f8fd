/**
 * The end of a run on injected fakes (clock, links, in-memory store, an archive that records
 * what it is asked): what each `job-finished` report does, including the edge cases of
 * docs/fault-tolerance.md: first to finish wins and the other runs are cancelled, a stale failure
 * never ends a live run, a re-sent report of the archived run is acknowledged again, a full disk
 * keeps the result on its node, a failed commit re-queues, and two reports of one job at once
 * archive exactly one.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ResultFile } from '../../../../shared/protocol/messages.ts';
import type { JobResult } from '../../../../shared/job/state.ts';
import type { InlineStaged, JobResultMeta, StagedCheck } from '../../../../head/archive/archive.ts';
import { RunFinisher, type FinishedRun } from '../../../../head/core/finish-run.ts';
import type { LiveNode } from '../../../../head/core/live-node.ts';
import type { BatchDoc } from '../../../../head/state/types.ts';
import { activeBatch, coreParts, running as RUNNING, CAPS, FakeLink, runRecord, stateOf } from './fakes.ts';

/** An archive that stages nothing on disk: `missing` per run, commits recorded, failures injected. */
class FakeArchive {
  readonly commits: JobResultMeta[] = [];
  readonly discarded: string[] = [];
  missing = new Map<string, string[]>();
  commitError: Error | null = null;
  /** When set, commit waits for it (two reports in flight at once). */
  gate: Promise<void> | null = null;
  /** Inline files handed to stageInline, by run; what it refuses; what it throws. */
  readonly inlined = new Map<string, string[]>();
  refuseInline: string[] = [];
  stageError: Error | null = null;
  stageInline(_b: string, runId: string, _files: ResultFile[], inline: { path: string }[]): InlineStaged {
    if (this.stageError) throw this.stageError;
    this.inlined.set(runId, inline.map((f) => f.path));
    return { refused: this.refuseInline, fresh: null };
  }
  async checkStaged(_b: string, runId: string): Promise<StagedCheck> {
    return { missing: this.missing.get(runId) ?? [], mismatched: [] };
  }
  async commit(meta: JobResultMeta & { runId: string }): Promise<void> {
    if (this.gate) await this.gate;
    if (this.commitError) throw this.commitError;
    this.commits.push(meta);
  }
  async discardStaging(batchId: string, runId?: string): Promise<void> {
    this.discarded.push([batchId, runId].filter(Boolean).join('/'));
  }
}

const OK: JobResult = { outcome: 'succeeded', exitCode: 0 };
const FAILED: JobResult = { outcome: 'failed', exitCode: 2 };
const FILES: ResultFile[] = [{ path: 'out.txt', size: 5, sha256: 'a'.repeat(64) }];

function setup(doc: BatchDoc, runs: ReturnType<typeof runRecord>[]) {
  const { clock, store, events, seen, logs, leases, book } = coreParts([doc], runs);
  const links = new Map<string, FakeLink>();
  const nodes = new Map<string, LiveNode>();
  // Each run's node is connected on its own link, which holds the run's lease.
  for (const r of runs) {
    if (!links.has(r.node)) {
      const link = new FakeLink();
      links.set(r.node, link);
      nodes.set(r.node, {
        record: { name: r.node, owner: null, capabilities: CAPS, lastSeen: 0, connectedAt: 0, built: [], lastBatch: null, paused: null, agentVersion: 't' },
        presence: { state: 'connected', link, graceUntil: null }, runs: new Map(),
      });
    }
    leases.claim(r.node, links.get(r.node)!, { runId: r.runId, runKey: `key-${r.runId}`, state: 'running' });
    nodes.get(r.node)!.runs.set(r.runId, { runId: r.runId, batchId: r.batchId, job: r.job, attempt: r.attempt });
  }
  const archive = new FakeArchive();
  let schedules = 0;
  let diskFull = 0;
  const finisher = new RunFinisher({
    book, archive, events, leases, nodes, now: clock.now, log: (l) => logs.push(l),
    scheduleSoon: () => { schedules++; }, diskFull: () => { diskFull++; },
  });
  const from = (node: string) => ({ node, link: links.get(node)! });
  return { clock, store, seen, logs, leases, nodes, links, book, archive, finisher, from, get schedules() { return schedules; }, get diskFull() { return diskFull; } };
}

const report = (runId: string, result: JobResult = OK, times = { startedAt: 700, endedAt: 4700, runMs: 3900 }): FinishedRun =>
  ({ runId, result, ...times, files: FILES });

test('a success is archived with the agent\'s own run times, the node freed and the batch ended', async () => {
  const doc = activeBatch('B', { j: RUNNING('r1', 'a') });
  const t = setup(doc, [runRecord('r1', 'B', 'j', 'a')]);
  t.clock.t = 9_000;
  assert.equal(await t.finisher.jobFinished(t.from('a'), report('r1')), 'archived');
  assert.deepEqual(stateOf(doc, 'j'), { state: 'done', result: OK, node: 'a', runId: 'r1', attempt: 1, startedAt: 700, endedAt: 4700, runMs: 3900 });
  assert.equal(t.archive.commits.length, 1);
  assert.deepEqual({ ...t.archive.commits[0], files: undefined }, {
    batchId: 'B', namespace: 'ns', batch: 'B', job: 'j', runId: 'r1', attempt: 1, node: 'a', result: OK,
    startedAt: 700, endedAt: 4700, runMs: 3900, files: undefined, bytes: 5,
  });
  assert.equal(t.leases.get('r1')?.ended, true);
  assert.equal(t.nodes.get('a')!.runs.size, 0);
  assert.equal(t.nodes.get('a')!.record.lastBatch, 'B');
  assert.ok(t.schedules > 0);
  assert.deepEqual(t.seen.of('job:finished').map((e) => [e.job, e.runId, e.archived]), [['j', 'r1', true]]);
  assert.equal(doc.record.phase, 'ended');
  assert.equal(t.seen.of('batch:ended')[0].succeeded, 1);
});

test('a report from a connection that does not hold the run changes nothing', async () => {
  const doc = activeBatch('B', { j: RUNNING('r1', 'a') });
  const t = setup(doc, [runRecord('r1', 'B', 'j', 'a'), runRecord('r2', 'B', 'other', 'b')]);
  assert.equal(await t.finisher.jobFinished({ node: 'a', link: new FakeLink() }, report('r1')), 'discarded');
  assert.equal(await t.finisher.jobFinished(t.from('b'), report('r1')), 'discarded', 'another node');
  assert.equal(stateOf(doc, 'j').state, 'running');
  assert.deepEqual(t.archive.commits, []);
  assert.ok(t.logs.some((l) => /refused job-finished for run r1/.test(l)));
});

test('files missing from the staging are asked for again; the run stays open', async () => {
  const doc = activeBatch('B', { j: RUNNING('r1', 'a') });
  const t = setup(doc, [runRecord('r1', 'B', 'j', 'a')]);
  t.archive.missing.set('r1', ['out.txt']);
  assert.deepEqual(await t.finisher.jobFinished(t.from('a'), report('r1')), { missing: ['out.txt'] });
  assert.equal(stateOf(doc, 'j').state, 'running');
  assert.equal(t.leases.get('r1')?.ended, false);
  t.archive.missing.clear();
  assert.equal(await t.finisher.jobFinished(t.from('a'), report('r1')), 'archived');
});

test('a failure with retries left re-queues the job and keeps nothing', async () => {
  const doc = activeBatch('B', { j: RUNNING('r1', 'a') }, { maxRetries: 1 });
  const t = setup(doc, [runRecord('r1', 'B', 'j', 'a')]);
  assert.equal(await t.finisher.jobFinished(t.from('a'), report('r1', FAILED)), 'discarded');
  assert.deepEqual(stateOf(doc, 'j'), { state: 'queued', since: t.clock.t });
  assert.equal(doc.jobs[0].retries, 1);
  assert.deepEqual(t.archive.discarded, ['B/r1']);
  assert.deepEqual(t.seen.of('job:finished').map((e) => e.archived), [false]);
  assert.equal(doc.record.phase, 'active');
});

test('first to finish wins: a lost node\'s earlier run that succeeds ends the job; the live run is cancelled', async () => {
  // r1 ran on a, which was lost; the job now runs as r2 on b.
  const doc = activeBatch('B', { j: RUNNING('r2', 'b', 2) }, {}, 2);
  const t = setup(doc, [runRecord('r1', 'B', 'j', 'a'), runRecord('r2', 'B', 'j', 'b', 2)]);
  assert.equal(await t.finisher.jobFinished(t.from('a'), report('r1')), 'archived');
  const s = stateOf(doc, 'j');
  assert.equal(s.state === 'done' && s.runId, 'r1');
  assert.deepEqual(t.links.get('b')!.of('cancel').map((c) => [c.runId, c.reason]), [['r2', 'another run of this job finished first']]);
  assert.equal(t.leases.get('r2')?.ended, true, 'the loser may upload nothing more');
  assert.ok(t.archive.discarded.includes('B/r2'));
  // The loser's late report: discarded, the winner stays.
  assert.equal(await t.finisher.jobFinished(t.from('b'), report('r2')), 'discarded');
  assert.equal(t.archive.commits.length, 1);
});

test('a stale failure never ends a live run: refused, its staging dropped, the job runs on', async () => {
  const doc = activeBatch('B', { j: RUNNING('r2', 'b', 2) }, {}, 2);
  const t = setup(doc, [runRecord('r1', 'B', 'j', 'a'), runRecord('r2', 'B', 'j', 'b', 2)]);
  assert.equal(await t.finisher.jobFinished(t.from('a'), report('r1', FAILED)), 'discarded');
  assert.deepEqual(stateOf(doc, 'j'), RUNNING('r2', 'b', 2));
  assert.deepEqual(t.archive.discarded, ['B/r1']);
  assert.equal(t.leases.get('r1')?.ended, true);
  assert.deepEqual(t.links.get('b')!.of('cancel'), []);
});

test('a re-sent report of the archived run is acknowledged as archived again (the ack was lost)', async () => {
  const doc = activeBatch('B', { j: RUNNING('r1', 'a'), k: RUNNING('r3', 'a') });
  const t = setup(doc, [runRecord('r1', 'B', 'j', 'a'), runRecord('r3', 'B', 'k', 'a')]);
  assert.equal(await t.finisher.jobFinished(t.from('a'), report('r1')), 'archived');
  assert.equal(await t.finisher.jobFinished(t.from('a'), report('r1')), 'archived');
  assert.equal(t.archive.commits.length, 1, 'committed once');
  assert.equal(await t.finisher.jobFinished(t.from('a'), report('r1', FAILED)), 'discarded', 'a different outcome is not the archived one');
});

test('a full archive disk: answer later, keep the staged files and the run, nothing re-runs', async () => {
  const doc = activeBatch('B', { j: RUNNING('r1', 'a') });
  const t = setup(doc, [runRecord('r1', 'B', 'j', 'a')]);
  t.archive.commitError = Object.assign(new Error('no space'), { code: 'ENOSPC' });
  assert.equal(await t.finisher.jobFinished(t.from('a'), report('r1')), 'later');
  assert.equal(t.diskFull, 1);
  assert.equal(stateOf(doc, 'j').state, 'running');
  assert.deepEqual(t.archive.discarded, []);
  assert.equal(t.leases.get('r1')?.ended, false);
  assert.equal(t.nodes.get('a')!.runs.size, 1, 'the node still holds it');
  t.archive.commitError = null;
  assert.equal(await t.finisher.jobFinished(t.from('a'), report('r1')), 'archived', 'its next report goes through');
});

test('any other commit failure re-queues the job (not counted as a retry)', async () => {
  const doc = activeBatch('B', { j: RUNNING('r1', 'a') });
  const t = setup(doc, [runRecord('r1', 'B', 'j', 'a')]);
  t.archive.commitError = Object.assign(new Error('EIO'), { code: 'EIO' });
  assert.equal(await t.finisher.jobFinished(t.from('a'), report('r1')), 'discarded');
  assert.deepEqual(stateOf(doc, 'j'), { state: 'queued', since: t.clock.t });
  assert.equal(doc.jobs[0].retries, 0);
  assert.deepEqual(t.seen.of('job:requeued').map((e) => e.reason), ['archive failed']);
});

test('two runs of one job reporting at once: one archived, the other discarded', async () => {
  const doc = activeBatch('B', { j: RUNNING('r2', 'b', 2) }, {}, 2);
  const t = setup(doc, [runRecord('r1', 'B', 'j', 'a'), runRecord('r2', 'B', 'j', 'b', 2)]);
  let open!: () => void;
  t.archive.gate = new Promise((r) => { open = r; });
  const both = Promise.all([t.finisher.jobFinished(t.from('b'), report('r2')), t.finisher.jobFinished(t.from('a'), report('r1'))]);
  open();
  assert.deepEqual(await both, ['archived', 'discarded']);
  assert.equal(t.archive.commits.length, 1);
  assert.equal(t.archive.commits[0].runId, 'r2');
});

test('a report of a job of a batch that was removed is discarded', async () => {
  const doc = activeBatch('B', { j: RUNNING('r1', 'a') });
  const t = setup(doc, [runRecord('r1', 'B', 'j', 'a')]);
  t.book.batches.delete('B');
  assert.equal(await t.finisher.jobFinished(t.from('a'), report('r1')), 'discarded');
  assert.equal(t.nodes.get('a')!.runs.size, 0, 'the node is free again');
});

test('inline files are staged before the check; refused ones are logged and left to the check; a full disk answers later', async () => {
  const doc = activeBatch('B', { j: RUNNING('r1', 'a'), k: RUNNING('r2', 'a') });
  const t = setup(doc, [runRecord('r1', 'B', 'j', 'a'), runRecord('r2', 'B', 'k', 'a')]);
  const inline = [{ path: 'out.txt', data: Buffer.from('hello').toString('base64') }];
  t.archive.stageError = Object.assign(new Error('no space'), { code: 'ENOSPC' });
  assert.equal(await t.finisher.jobFinished(t.from('a'), { ...report('r1'), inline }), 'later');
  assert.equal(t.diskFull, 1);
  assert.equal(stateOf(doc, 'j').state, 'running', 'nothing changes until the next report');
  t.archive.stageError = null;
  t.archive.refuseInline = ['out.txt'];
  t.archive.missing.set('r1', ['out.txt']);
  assert.deepEqual(await t.finisher.jobFinished(t.from('a'), { ...report('r1'), inline }), { missing: ['out.txt'] });
  assert.ok(t.logs.some((l) => /inline out\.txt .*asked again/.test(l)));
  t.archive.refuseInline = [];
  t.archive.missing.clear();
  assert.equal(await t.finisher.jobFinished(t.from('a'), { ...report('r1'), inline }), 'archived');
  assert.deepEqual(t.archive.inlined.get('r1'), ['out.txt']);
  // A report for a job that is already done stages nothing.
  assert.equal(await t.finisher.jobFinished(t.from('a'), { ...report('r1'), inline }), 'archived');
  assert.equal(t.archive.inlined.size, 1);
});
