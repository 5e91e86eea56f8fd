/**
 * The head's side of a job in hand (assign `ahead`): which batches are short enough
 * (recent-run-times.ts), and what a node holding one occupies (scheduler/snapshot.ts nodeUsage):
 * nothing until it fits, then its share, so the room it will take is not offered to another job.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecentRunTimes, SHORT_RUN_MS } from '../../../../head/core/recent-run-times.ts';
import { nodeLoad, nodeUsage } from '../../../../head/scheduler/snapshot.ts';
import { JobIndex } from '../../../../head/core/job-index.ts';
import type { LiveNode } from '../../../../head/core/live-node.ts';
import { activeBatch, CAPS, FakeLink } from './fakes.ts';

test('a batch is short after three runs whose median is at most SHORT_RUN_MS, judged on its last nine runs', () => {
  const t = new RecentRunTimes();
  t.note('b', 5);
  t.note('b', 7);
  assert.equal(t.short('b'), false, 'two runs are not enough to judge');
  t.note('b', 60_000);
  assert.equal(t.short('b'), true, 'the median, not the mean: one long run does not count');
  for (let i = 0; i < 9; i++) t.note('b', SHORT_RUN_MS + 1);
  assert.equal(t.short('b'), false, 'only the last runs count');
  t.forget('b');
  assert.equal(t.short('b'), false);
  assert.equal(t.short('other'), false);
});

test('nodeLoad: a job in hand occupies nothing and waits while it does not fit; once it fits it takes its share and counts as started', () => {
  const doc = activeBatch('B', { j1: undefined, j2: undefined });
  const batches = new Map([['B', doc]]);
  const index = new JobIndex(doc.jobs);
  const indexOf = () => index;
  const node: LiveNode = {
    record: { name: 'a', owner: null, capabilities: CAPS, lastSeen: 0, connectedAt: 0, built: [], lastBatch: null, paused: null, agentVersion: 't' },
    presence: { state: 'connected', link: new FakeLink(), graceUntil: null }, runs: new Map(), takesAhead: true,
  };
  node.runs.set('r1', { runId: 'r1', batchId: 'B', job: 'j1', attempt: 1 });
  node.runs.set('r2', { runId: 'r2', batchId: 'B', job: 'j2', attempt: 1, ahead: true });
  assert.equal(nodeUsage(node, batches, indexOf).runs, 1, 'whole-node jobs: the one in hand waits');
  assert.equal(nodeLoad(node, batches, indexOf).waiting, 1, 'and is waiting: the node may take no other in hand');
  node.runs.get('r1')!.exited = { bytes: 0 };
  assert.deepEqual(nodeLoad(node, batches, indexOf), { usage: { cpus: 4, memoryBytes: 2 ** 34, gpus: 0, runs: 1, whole: true }, waiting: 0 },
    'the first ended: the job in hand takes the node and counts as started (the node may take its next in hand)');
});
