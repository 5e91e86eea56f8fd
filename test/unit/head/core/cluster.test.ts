/**
 * The cluster model's fault rules, on a real store and archive in a temp folder, with agents
 * replaced by links that record what the head sends them (the socket is the boundary):
 * - two runs of one job reporting at the same instant: exactly one archived, once;
 * - a re-sent report of the run already archived is acknowledged as archived;
 * - after a restart nothing is scheduled until the nodes connected before the crash said hello,
 *   and a finished-but-unacknowledged run of a job the store still had queued is not re-run.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { BatchSpec } from '../../../../shared/batch/spec.ts';
import type { HeadMessage, Hello } from '../../../../shared/protocol/messages.ts';
import { PROTOCOL_VERSION } from '../../../../shared/protocol/messages.ts';
import { Archive } from '../../../../head/archive/archive.ts';
import { Cluster, type AgentLink, type FinishedRun } from '../../../../head/core/cluster.ts';
import { LowdbStore } from '../../../../head/store/lowdb-store.ts';

const ADMIN = { kind: 'admin', name: 'admin' } as const;
const CAPS = { tags: [], physicalCores: 2, logicalCores: 2, memoryBytes: 2 ** 32, gpus: [] };

function spec(jobs: string[]): BatchSpec {
  return {
    namespace: 'ns', name: 'b', kind: 'shell', capabilities: [], resources: {}, maxRetries: 0,
    requiredMounts: [], initFiles: [], jobs: jobs.map((name) => ({ name, command: 'true', files: [] })),
  };
}

class RecordingLink implements AgentLink {
  readonly sent: HeadMessage[] = [];
  closed: number | null = null;
  send(m: HeadMessage): void { this.sent.push(m); }
  close(code: number): void { this.closed = code; }
  of<T extends HeadMessage['type']>(type: T): Extract<HeadMessage, { type: T }>[] {
    return this.sent.filter((m): m is Extract<HeadMessage, { type: T }> => m.type === type);
  }
}

function hello(name: string, held: Hello['held'] = []): Hello {
  return { type: 'hello', protocol: PROTOCOL_VERSION, agentVersion: 'test', name, capabilities: CAPS, held, built: [] };
}

async function makeCluster(dataDir: string, flushDelayMs = 10) {
  const store = new LowdbStore(dataDir, flushDelayMs);
  const archive = new Archive(dataDir);
  await archive.init();
  const cluster = new Cluster({ store, archive, nodeTimeoutMs: 60_000, heartbeatMs: 1000 });
  await cluster.init();
  return { cluster, store, archive };
}

const tick = () => new Promise((r) => setImmediate(r));

/** Stage one result file for a run, as an agent's upload would, and return its report. */
function staged(archive: Archive, batchId: string, job: string, attempt: number, text: string): FinishedRun {
  const file = archive.stagingFile(batchId, job, attempt, 'out.txt');
  fs.mkdirSync(path.dirname(file.abs!), { recursive: true });
  fs.writeFileSync(file.abs!, text);
  return {
    batchId, job, attempt, result: { outcome: 'succeeded', exitCode: 0 }, startedAt: 1, endedAt: 2, runMs: 1,
    files: [{ path: 'out.txt', size: Buffer.byteLength(text), sha256: '0'.repeat(64) }],
  };
}

async function submit(cluster: Cluster, jobs: string[]) {
  const created = await cluster.createBatch(ADMIN, spec(jobs), false);
  assert.ok(created.ok);
  const submitted = await cluster.submitBatch(ADMIN, created.value.doc.record.id);
  assert.ok(submitted.ok);
  return submitted.value;
}

test('two runs of one job reporting at once: one is archived, once; the other is discarded', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cluster-'));
  const { cluster, archive, store } = await makeCluster(dir);
  const a = new RecordingLink();
  const b = new RecordingLink();
  cluster.nodeHello(hello('a'), a);
  cluster.nodeHello(hello('b'), b);
  const doc = await submit(cluster, ['j']);
  await tick();
  const first = a.of('assign')[0] ?? b.of('assign')[0];
  assert.ok(first, 'the job was assigned');
  const holder = a.of('assign').length ? 'a' : 'b';
  const other = holder === 'a' ? 'b' : 'a';
  // The holder is lost; the job runs again on the other node (attempt 2); both then finish together.
  (cluster.nodes.get(holder)!.record.lastSeen as number) = 0;
  cluster.checkTimeouts();
  await tick();
  const again = (other === 'a' ? a : b).of('assign')[0];
  assert.equal(again.attempt, 2);

  let finishedEvents = 0;
  cluster.events.on('job:finished', () => finishedEvents++);
  const [r1, r2] = await Promise.all([
    cluster.jobFinished(holder, staged(archive, doc.record.id, 'j', 1, 'from attempt 1')),
    cluster.jobFinished(other, staged(archive, doc.record.id, 'j', 2, 'from attempt 2')),
  ]);
  assert.deepEqual([r1, r2], ['archived', 'discarded']);
  assert.equal(finishedEvents, 1);
  assert.equal(fs.readFileSync(path.join(archive.jobDir('ns', 'b', 'j'), 'out.txt'), 'utf8'), 'from attempt 1');
  assert.equal((await archive.readResult('ns', 'b', 'j'))!.attempt, 1);
  assert.equal(fs.existsSync(archive.stagingDir(doc.record.id, 'j', 2)), false, 'the loser\'s upload is gone');
  // The loser was told to stop.
  assert.deepEqual((other === 'a' ? a : b).of('cancel').map((m) => m.attempt), [2], 'told once');
  // The winner re-sending its report (its ack lost) hears "archived" again.
  assert.equal(await cluster.jobFinished(holder, { ...staged(archive, doc.record.id, 'j', 1, 'from attempt 1') }), 'archived');
  await store.close();
});

test('a failed result of the run the head gave up on does not end the live re-run; that run decides', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cluster-'));
  const { cluster, archive, store } = await makeCluster(dir);
  const a = new RecordingLink();
  const b = new RecordingLink();
  cluster.nodeHello(hello('a'), a);
  cluster.nodeHello(hello('b'), b);
  const doc = await submit(cluster, ['j']);
  await tick();
  const holder = a.of('assign').length ? 'a' : 'b';
  const other = holder === 'a' ? 'b' : 'a';
  (cluster.nodes.get(holder)!.record.lastSeen as number) = 0;
  cluster.checkTimeouts();
  await tick();
  assert.equal((other === 'a' ? a : b).of('assign')[0].attempt, 2);

  const failedOld = { ...staged(archive, doc.record.id, 'j', 1, 'attempt 1 failed'), result: { outcome: 'failed' as const, exitCode: 9 } };
  assert.equal(await cluster.jobFinished(holder, failedOld), 'discarded');
  const job = cluster.batches.get(doc.record.id)!.jobs[0];
  assert.equal(job.status.state, 'assigned', 'the re-run still holds the job');
  assert.equal(fs.existsSync(archive.jobDir('ns', 'b', 'j')), false, 'nothing archived from the failed stale run');
  assert.equal((other === 'a' ? a : b).of('cancel').length, 0, 'the live run was not cancelled');
  assert.equal(await cluster.jobFinished(other, staged(archive, doc.record.id, 'j', 2, 'attempt 2 ok')), 'archived');
  assert.equal((await archive.readResult('ns', 'b', 'j'))!.attempt, 2);
  await store.close();
});

test('after a restart: no scheduling until the nodes connected before the crash are back; a finished unacknowledged run is not re-run', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cluster-'));
  // Coalesced job-state writes never happen before the "crash" (a long flush delay).
  const first = await makeCluster(dir, 60_000);
  const doc = await submit(first.cluster, ['j1', 'j2']);
  const a = new RecordingLink();
  first.cluster.nodeHello(hello('a'), a);
  await first.store.saveMetaNow(first.cluster.meta);
  // Crash: the head sent `a` its assignment, but the job states never reached the disk.
  await tick();
  assert.equal(a.of('assign').length, 1);
  const job = a.of('assign')[0];

  const second = await makeCluster(dir);
  assert.equal(second.cluster.batches.get(doc.record.id)!.jobs.every((j) => j.status.state === 'queued'), true, 'the store still shows both queued');
  const b = new RecordingLink();
  second.cluster.nodeHello(hello('b'), b);
  await tick();
  assert.deepEqual(b.of('assign'), [], 'nothing is scheduled while a, connected before the crash, is not back');

  const a2 = new RecordingLink();
  second.cluster.nodeHello(hello('a', [{ batchId: job.batchId, job: job.job, attempt: job.attempt, state: 'finished' }]), a2);
  await tick();
  const toB = b.of('assign');
  assert.equal(toB.length, 1);
  assert.notEqual(toB[0].job, job.job, 'the job a finished is not handed to b');
  const status = second.cluster.batches.get(doc.record.id)!.jobs.find((j) => j.name === job.job)!.status;
  assert.equal(status.state, 'running');
  await first.store.close();
  await second.store.close();
});

test('a node coming back is told to forget batches that ended or vanished while it was away, not active ones', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cluster-'));
  const { cluster, archive, store } = await makeCluster(dir);
  const a = new RecordingLink();
  cluster.nodeHello(hello('a'), a);
  const ended = await submit(cluster, ['j']);
  await tick();
  assert.equal(await cluster.jobFinished('a', staged(archive, ended.record.id, 'j', 1, 'done')), 'archived');
  assert.equal(ended.record.phase, 'ended');
  const created = await cluster.createBatch(ADMIN, { ...spec(['k']), name: 'other' }, false);
  assert.ok(created.ok);
  const active = (await cluster.submitBatch(ADMIN, created.value.doc.record.id));
  assert.ok(active.ok);
  const back = new RecordingLink();
  cluster.nodeHello({ ...hello('a'), built: [ended.record.id, 'vanished-batch', active.value.record.id] }, back);
  assert.deepEqual(back.of('forget-batch').map((m) => m.batchId).sort(), [ended.record.id, 'vanished-batch'].sort());
  await store.close();
});
