/**
 * The wait for nodes after a head restart, on an injected clock: it starts when the head listens
 * (not at init) and lasts the agent's longest reconnect delay plus one node timeout; a node that
 * says hello in that window is not lost, one that does not is; meanwhile only jobs with a
 * journaled run on a node not back yet wait for it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { PROTOCOL_VERSION, type HeadMessage } from '../../../../shared/protocol/messages.ts';
import { longestReconnectDelayMs } from '../../../../shared/protocol/reconnect.ts';
import { BatchBook } from '../../../../head/core/batch-book.ts';
import { HeadEventBus } from '../../../../head/core/events.ts';
import { NodeRegistry } from '../../../../head/core/node-registry.ts';
import { RunLeases } from '../../../../head/core/run-leases.ts';
import type { NodeRecord } from '../../../../head/state/types.ts';
import { LowdbStore } from '../../../../head/store/lowdb-store.ts';

const CAPS = { tags: [], physicalCores: 2, logicalCores: 2, memoryBytes: 2 ** 32, gpus: [] };
const TIMEOUT = 5000;

function registry(clock: { t: number }, leases = new RunLeases(() => {})) {
  const store = new LowdbStore(fs.mkdtempSync(path.join(os.tmpdir(), 'registry-')), 10);
  const events = new HeadEventBus();
  const now = () => clock.t;
  const book = new BatchBook({ store, events, now, log: () => {} });
  const lost: string[] = [];
  events.on('node:lost', (e) => lost.push(e.node));
  const reg = new NodeRegistry({ book, leases, events, now, log: () => {}, nodeTimeoutMs: TIMEOUT, heartbeatMs: 1000, saveRecords: () => {}, scheduleSoon: () => {} });
  return { reg, lost };
}

function record(name: string, reconnectWithinMs?: number): NodeRecord {
  return { name, owner: null, capabilities: CAPS, lastSeen: 0, connectedAt: 0, built: [], lastBatch: null, paused: null, agentVersion: 'test', reconnectWithinMs };
}

const link = () => ({ sent: [] as HeadMessage[], send(m: HeadMessage) { this.sent.push(m); }, close() {} });

test('the recovery window counts from listening and covers the longest backoff plus one timeout', () => {
  const clock = { t: 1_000_000 };
  const { reg, lost } = registry(clock);
  const backoff = longestReconnectDelayMs(TIMEOUT);
  reg.restore([record('a', backoff), record('b', backoff)]);
  clock.t += 4000; // a slow init: none of it counts against the nodes
  reg.listening(clock.t);
  const listenedAt = clock.t;
  clock.t = listenedAt + backoff + TIMEOUT - 1;
  reg.checkTimeouts();
  assert.deepEqual(lost, [], 'nobody is lost inside the window');
  assert.ok(reg.recovering(), 'scheduling still waits for the nodes');
  const l = link();
  reg.hello({ type: 'hello', protocol: PROTOCOL_VERSION, agentVersion: 'test', name: 'a', capabilities: CAPS, held: [], built: [] }, l);
  assert.equal(l.sent[0]?.type, 'welcome');
  assert.ok(reg.recovering(), 'still waiting for b');
  clock.t = listenedAt + backoff + TIMEOUT + 1;
  reg.checkTimeouts();
  assert.deepEqual(lost, ['b'], 'b never came back: lost once the window is over');
  assert.ok(!reg.recovering());
});

test('nodes recorded before reconnectWithinMs existed get the agents\' absolute longest backoff', () => {
  const clock = { t: 0 };
  const { reg, lost } = registry(clock);
  reg.restore([record('old')]);
  reg.listening(clock.t);
  clock.t = longestReconnectDelayMs(undefined) + TIMEOUT - 1;
  reg.checkTimeouts();
  assert.deepEqual(lost, []);
  clock.t += 2;
  reg.checkTimeouts();
  assert.deepEqual(lost, ['old']);
});

test('while recovering, only jobs with a journaled run on a node not back yet wait for it', () => {
  const clock = { t: 0 };
  const leases = new RunLeases(() => {});
  const run = (runId: string, job: string, node: string) => ({ runId, batchId: 'B', job, node, attempt: 1, keyHash: null, at: 0 });
  // j1 ran on a (connected at the crash: awaited), j2 on c (offline already), j3 never ran, j4 on
  // b (back), j5 on b and then on a.
  leases.load([run('r1', 'j1', 'a'), run('r2', 'j2', 'c'), run('r4', 'j4', 'b'), run('r5', 'j5', 'b'), run('r6', 'j5', 'a')]);
  const { reg } = registry(clock, leases);
  reg.restore([record('a'), record('b'), { ...record('c'), connectedAt: null }]);
  reg.listening(clock.t);
  const hello = (name: string) => reg.hello({ type: 'hello', protocol: PROTOCOL_VERSION, agentVersion: 'test', name, capabilities: CAPS, held: [], built: [] }, link());
  hello('b');
  assert.ok(reg.recovering(), 'a is still awaited');
  assert.deepEqual(['j1', 'j2', 'j3', 'j4', 'j5'].map((j) => reg.mayBeHeldByAbsent('B', j)), [true, true, false, false, true]);
  assert.equal(reg.mayBeHeldByAbsent('other batch', 'j1'), false);
  hello('a');
  assert.deepEqual(['j1', 'j5'].map((j) => reg.mayBeHeldByAbsent('B', j)), [false, false], 'a said hello: its runs are reconciled');
});
