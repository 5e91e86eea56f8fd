/** How the chaos run puts each re-run down to a fault (chaos/runs.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attribute, type RunLine } from '../../../chaos/runs.ts';
import type { Fault } from '../../../chaos/faults.ts';

const run = (job: string, at: number, node: string): RunLine => ({ job, at, node });

test('a re-run after a fault of the node that held the earlier run is that fault', () => {
  const faults: Fault[] = [{ kind: 'agent SIGKILL', target: 'a', at: 1000, until: 2000 }];
  const got = attribute([run('j', 500, 'a'), run('j', 2500, 'b')], faults);
  assert.equal(got.reruns['agent SIGKILL'], 1);
  assert.deepEqual(got.suspicious, []);
});

test('a node continued after a SIGSTOP starts its stale assignment after the other node: the SIGSTOP explains it', () => {
  // b was stopped at 1000 with the job's assignment in hand; the head gave the job to a at 4200;
  // b, continued at 6000, started it too.
  const faults: Fault[] = [
    { kind: 'agent SIGSTOP', target: 'b', at: 1000, until: 6000 },
    { kind: 'head SIGKILL', target: 'head', at: 4500, until: 5000 },
  ];
  const got = attribute([run('j', 6010, 'b'), run('j', 4200, 'a')], faults);
  assert.equal(got.reruns['agent SIGSTOP'], 1);
  assert.equal(got.reruns['head SIGKILL'], 0);
});

test('a re-run with only a head restart in between is the head\'s, and one with no fault is unexplained', () => {
  const faults: Fault[] = [{ kind: 'head SIGKILL', target: 'head', at: 1000, until: 1500 }];
  const got = attribute([run('j', 900, 'a'), run('j', 1600, 'b'), run('k', 10_000, 'a'), run('k', 20_000, 'b')], faults);
  assert.equal(got.reruns['head SIGKILL'], 1);
  assert.equal(got.reruns.unexplained, 1);
  assert.equal(got.suspicious.length, 2);
});

test('a fault of the later node long over before its run started explains nothing', () => {
  const faults: Fault[] = [{ kind: 'agent SIGSTOP', target: 'b', at: 100, until: 500 }];
  const got = attribute([run('j', 5000, 'a'), run('j', 9000, 'b')], faults);
  assert.equal(got.reruns.unexplained, 1);
});
