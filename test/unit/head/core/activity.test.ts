/** The dashboard chart's data: jobs held per node, kept for the window, with the live counts last. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ActivityLog, heldPerNode } from '../../../../head/core/activity.ts';
import { JobIndex } from '../../../../head/core/job-index.ts';
import type { BatchDoc } from '../../../../head/state/types.ts';
import type { Job } from '../../../../shared/job/state.ts';

test('samples older than the window go; the series ends with the current counts', () => {
  const log = new ActivityLog(1000, 100);
  log.add(0, { a: 1 });
  log.add(600, { a: 2, b: 1 });
  log.add(1500, { b: 3 });
  const s = log.series(1600, { a: 1 });
  assert.deepEqual(s.samples.map((x) => x.at), [600, 1500, 1600], 'the sample at 0 is older than 1000 ms before 1500');
  assert.deepEqual(s.samples.at(-1)!.nodes, { a: 1 });
  assert.equal(s.windowMs, 1000);
  assert.equal(s.stepMs, 100);
});

test('held per node: the same counts from the index of held jobs as from every job', () => {
  const at = (node: string, runId: string) => ({ state: 'running', node, runId, attempt: 1, startedAt: 0, pausedMs: 0 }) as const;
  const jobs = [
    { name: 'a', attempts: 1, retries: 0, status: at('n1', 'r1') },
    { name: 'b', attempts: 0, retries: 0, status: { state: 'queued', since: 0 } as const },
    { name: 'c', attempts: 1, retries: 0, status: at('n2', 'r2') },
    { name: 'd', attempts: 1, retries: 0, status: at('n1', 'r3') },
  ];
  const doc = { record: { phase: 'active' }, jobs } as unknown as BatchDoc;
  const ended = { record: { phase: 'ended' }, jobs } as unknown as BatchDoc;
  const book = new JobIndex(jobs as Job[]);
  assert.deepEqual(heldPerNode([doc, ended]), { n1: 2, n2: 1 });
  assert.deepEqual(heldPerNode([doc, ended], () => book.activePositions()), { n1: 2, n2: 1 });
});
