/**
 * The cluster model's fault rules, on a real store and archive in a temp folder, with agents
 * replaced by links that record what the head sends them (the socket is the boundary):
 * - two runs of one job reporting at the same instant: exactly one archived, once;
 * - a re-sent report of the run already archived is acknowledged as archived;
 * - run leases: reports and claims of a run from anyone but its holder change nothing;
 * - a crash inside the store's write-coalescing window never hands out an attempt number twice;
 * - after a restart a job with a journaled run on a node connected before the crash waits until
 *   that node said hello (other jobs go to the nodes that are back at once), and a
 *   finished-but-unacknowledged run of a job the store still had queued is not re-run.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { BatchSpec } from '../../../../shared/batch/spec.ts';
import type { HeadMessage, Hello } from '../../../../shared/protocol/messages.ts';
import { PROTOCOL_VERSION } from '../../../../shared/protocol/messages.ts';
import { Archive } from '../../../../head/archive/archive.ts';
import { Cluster, type AgentLink, type FinishedRun, type Sender } from '../../../../head/core/cluster.ts';
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

/** Resolves once `cond()` holds (assignments go out after the run journal is on disk). */
async function until(cond: () => boolean, what = 'condition'): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(cond(), `timed out waiting for ${what}`);
}

/** A cluster in `dataDir` that assigned its one job `j` to node `a` (its meta on disk): the head about to "crash". */
async function assignedOnce(dataDir: string, flushDelayMs: number) {
  const first = await makeCluster(dataDir, flushDelayMs);
  const a = new RecordingLink();
  first.cluster.registry.hello(hello('a'), a);
  await first.store.saveMetaNow(first.cluster.meta);
  await submit(first.cluster, ['j']);
  await until(() => a.of('assign').length > 0, 'the assignment');
  return { first, a, run: a.of('assign')[0] };
}

type Assign = Extract<HeadMessage, { type: 'assign' }>;

/** Stage one result file for a run, as an agent's upload would, and return its report. */
function staged(archive: Archive, a: Assign, text: string): FinishedRun {
  const file = archive.stagingFile(a.batchId, a.runId, 'out.txt');
  fs.mkdirSync(path.dirname(file.abs!), { recursive: true });
  fs.writeFileSync(file.abs!, text);
  return {
    runId: a.runId, result: { outcome: 'succeeded', exitCode: 0 }, startedAt: 1, endedAt: 2, runMs: 1,
    files: [{ path: 'out.txt', size: Buffer.byteLength(text), sha256: crypto.createHash('sha256').update(text).digest('hex') }],
  };
}

const from = (node: string, link: AgentLink): Sender => ({ node, link });

async function submit(cluster: Cluster, jobs: string[]) {
  const created = await cluster.commands.create(ADMIN, spec(jobs), false);
  assert.ok(created.ok);
  const submitted = await cluster.commands.submit(ADMIN, created.value.doc.record.id);
  assert.ok(submitted.ok);
  return submitted.value;
}

test('two runs of one job reporting at once: one is archived, once; the other is discarded', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cluster-'));
  const { cluster, archive, store } = await makeCluster(dir);
  const a = new RecordingLink();
  const b = new RecordingLink();
  cluster.registry.hello(hello('a'), a);
  cluster.registry.hello(hello('b'), b);
  await submit(cluster, ['j']);
  await until(() => a.of('assign').length + b.of('assign').length > 0, 'the assignment');
  const holder = a.of('assign').length ? 'a' : 'b';
  const other = holder === 'a' ? 'b' : 'a';
  const holderLink = holder === 'a' ? a : b;
  const otherLink = holder === 'a' ? b : a;
  const first = holderLink.of('assign')[0];
  // The holder is lost; the job runs again on the other node (attempt 2); both then finish together.
  (cluster.registry.nodes.get(holder)!.record.lastSeen as number) = 0;
  cluster.nodeLoss.checkTimeouts();
  await until(() => otherLink.of('assign').length > 0, 'the re-run');
  const again = otherLink.of('assign')[0];
  assert.equal(again.attempt, 2);
  assert.notEqual(again.runId, first.runId);
  // The lost node comes back and claims its run (first to finish wins).
  const back = new RecordingLink();
  cluster.registry.hello(hello(holder, [{ runId: first.runId, runKey: first.runKey, state: 'running' }]), back);

  let finishedEvents = 0;
  cluster.events.on('job:finished', () => finishedEvents++);
  const [r1, r2] = await Promise.all([
    cluster.finisher.jobFinished(from(holder, back), staged(archive, first, 'from attempt 1')),
    cluster.finisher.jobFinished(from(other, otherLink), staged(archive, again, 'from attempt 2')),
  ]);
  assert.deepEqual([r1, r2], ['archived', 'discarded']);
  assert.equal(finishedEvents, 1);
  assert.equal(fs.readFileSync(path.join(archive.jobDir('ns', 'b', 'j'), 'out.txt'), 'utf8'), 'from attempt 1');
  assert.equal((await archive.readResult('ns', 'b', 'j'))!.runId, first.runId);
  assert.equal(fs.existsSync(archive.stagingDir(first.batchId, again.runId)), false, 'the loser\'s upload is gone');
  // The loser was told to stop.
  assert.deepEqual(otherLink.of('cancel').map((m) => m.runId), [again.runId], 'told once');
  // The winner re-sending its report (its ack lost) hears "archived" again.
  assert.equal(await cluster.finisher.jobFinished(from(holder, back), staged(archive, first, 'from attempt 1')), 'archived');
  await until(() => !fs.existsSync(path.join(archive.stagingRoot, first.batchId)), 'staging cleanup');
  assert.deepEqual(fs.readdirSync(archive.stagingRoot), [], 'no staging folder is left once the batch ended');
  await store.close();
});

test('a failed result of the run the head gave up on does not end the live re-run; that run decides', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cluster-'));
  const { cluster, archive, store } = await makeCluster(dir);
  const a = new RecordingLink();
  const b = new RecordingLink();
  cluster.registry.hello(hello('a'), a);
  cluster.registry.hello(hello('b'), b);
  await submit(cluster, ['j']);
  await until(() => a.of('assign').length + b.of('assign').length > 0, 'the assignment');
  const holder = a.of('assign').length ? 'a' : 'b';
  const other = holder === 'a' ? 'b' : 'a';
  const holderLink = holder === 'a' ? a : b;
  const otherLink = holder === 'a' ? b : a;
  const first = holderLink.of('assign')[0];
  (cluster.registry.nodes.get(holder)!.record.lastSeen as number) = 0;
  cluster.nodeLoss.checkTimeouts();
  await until(() => otherLink.of('assign').length > 0, 'the re-run');
  const again = otherLink.of('assign')[0];
  assert.equal(again.attempt, 2);
  const back = new RecordingLink();
  cluster.registry.hello(hello(holder, [{ runId: first.runId, runKey: first.runKey, state: 'running' }]), back);

  const failedOld = { ...staged(archive, first, 'attempt 1 failed'), result: { outcome: 'failed' as const, exitCode: 9 } };
  assert.equal(await cluster.finisher.jobFinished(from(holder, back), failedOld), 'discarded');
  const job = [...cluster.book.batches.values()][0].jobs[0];
  assert.equal(job.status.state, 'assigned', 'the re-run still holds the job');
  assert.equal(fs.existsSync(archive.jobDir('ns', 'b', 'j')), false, 'nothing archived from the failed stale run');
  assert.equal(otherLink.of('cancel').length, 0, 'the live run was not cancelled');
  assert.equal(await cluster.finisher.jobFinished(from(other, otherLink), staged(archive, again, 'attempt 2 ok')), 'archived');
  assert.equal((await archive.readResult('ns', 'b', 'j'))!.attempt, 2);
  await store.close();
});

test('run leases: another connection cannot report, start, log or claim a run it does not hold; the holder is unaffected', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cluster-'));
  const logs: string[] = [];
  const store = new LowdbStore(dir, 10);
  const archive = new Archive(dir);
  await archive.init();
  const cluster = new Cluster({ store, archive, nodeTimeoutMs: 60_000, heartbeatMs: 1000, log: (l) => logs.push(l) });
  await cluster.init();
  const a = new RecordingLink();
  cluster.registry.hello(hello('a'), a);
  await submit(cluster, ['j']);
  await until(() => a.of('assign').length > 0, 'the assignment');
  const run = a.of('assign')[0];
  const evil = new RecordingLink();
  cluster.registry.hello(hello('evil', [{ runId: run.runId, runKey: run.runKey, state: 'running' }]), evil);
  assert.deepEqual(evil.of('cancel').map((m) => m.runId), [run.runId], 'the claim is refused (told to cancel)');
  let logged = 0;
  cluster.events.on('job:log', () => logged++);
  cluster.reports.started(from('evil', evil), run.runId);
  cluster.reports.log(from('evil', evil), run.runId, 'stdout', 'injected\n');
  assert.equal(await cluster.finisher.jobFinished(from('evil', evil), staged(archive, run, 'forged')), 'discarded');
  // Same node name, but not the connection holding the run (and no claim).
  const a2 = new RecordingLink();
  assert.equal(await cluster.finisher.jobFinished(from('a', a2), staged(archive, run, 'forged')), 'discarded');
  const status = [...cluster.book.batches.values()][0].jobs[0].status;
  assert.equal(status.state, 'assigned', 'nothing changed');
  assert.equal(logged, 0, 'no injected log line');
  assert.equal(a.of('cancel').length, 0, 'the genuine run was not cancelled');
  assert.ok(logs.filter((l) => l.startsWith('refused ')).length >= 5, logs.join('\n'));
  assert.ok(cluster.reports.uploadLease(run.runId, 'not-the-key', 'a').ok === false);
  assert.ok(cluster.reports.uploadLease(run.runId, run.runKey, 'evil').ok === false, 'the key alone is not enough: the node must be the run\'s');
  assert.ok(cluster.reports.uploadLease(run.runId, run.runKey, 'a').ok);
  cluster.reports.started(from('a', a), run.runId);
  assert.equal(await cluster.finisher.jobFinished(from('a', a), staged(archive, run, 'genuine')), 'archived');
  assert.equal(fs.readFileSync(path.join(archive.jobDir('ns', 'b', 'j'), 'out.txt'), 'utf8'), 'genuine');
  await store.close();
});

test('a head killed inside the write-coalescing window hands out a new run id and the next attempt number', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cluster-'));
  const { run: old } = await assignedOnce(dir, 60_000);
  // Crash: the job state (assigned, attempts 1) never reached the disk; the run journal did.
  const second = await makeCluster(dir);
  const doc = [...second.cluster.book.batches.values()][0];
  assert.equal(doc.jobs[0].status.state, 'queued');
  assert.equal(doc.jobs[0].attempts, 1, 'the attempt count comes back from the run journal');
  const b = new RecordingLink();
  second.cluster.registry.hello(hello('b'), b);
  // `a` stays away (stopped): after its timeout the job goes to b.
  const away = second.cluster.registry.nodes.get('a')!;
  (away.record.lastSeen as number) = 0;
  away.presence = { state: 'awaited', graceUntil: 0 };
  (second.cluster as unknown as { registry: { recoverUntil: number } }).registry.recoverUntil = 0;
  second.cluster.nodeLoss.checkTimeouts();
  second.cluster.dispatch.scheduleSoon();
  await until(() => b.of('assign').length > 0, 'the re-run');
  const rerun = b.of('assign')[0];
  assert.equal(rerun.attempt, 2);
  assert.notEqual(rerun.runId, old.runId);
  assert.notEqual(rerun.runKey, old.runKey);
  // The first store "crashed": it is never flushed (closing it would write into the second's files).
  await second.store.close();
});

test('a restart moves a journaled run staged in the layout of before 2026-11-30 (a folder per job) to its folder; the result counts, the rest of staging goes', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cluster-'));
  const { first, run } = await assignedOnce(dir, 10);
  await first.store.close();
  // What an older head left: the run's upload in `<batch>/<job>/<runId>/`, and folders of runs
  // and jobs the journal does not know.
  const old = (...p: string[]) => path.join(first.archive.stagingRoot, run.batchId, ...p);
  fs.mkdirSync(old('j', run.runId), { recursive: true });
  fs.writeFileSync(old('j', run.runId, 'out.txt'), 'uploaded before the upgrade');
  fs.mkdirSync(old('j', 'r-unknown'), { recursive: true });
  fs.mkdirSync(old('other', 'r-other'), { recursive: true });
  fs.mkdirSync(old('r-stray'), { recursive: true });

  const second = await makeCluster(dir);
  assert.deepEqual(fs.readdirSync(old()), [run.runId], 'only the journaled run is left, in its own folder');
  const back = new RecordingLink();
  second.cluster.registry.hello(hello('a', [{ runId: run.runId, runKey: run.runKey, state: 'running' }]), back);
  const text = 'uploaded before the upgrade';
  const report: FinishedRun = {
    runId: run.runId, result: { outcome: 'succeeded', exitCode: 0 }, startedAt: 1, endedAt: 2, runMs: 1,
    files: [{ path: 'out.txt', size: Buffer.byteLength(text), sha256: crypto.createHash('sha256').update(text).digest('hex') }],
  };
  assert.equal(await second.cluster.finisher.jobFinished(from('a', back), report), 'archived');
  assert.equal(fs.readFileSync(path.join(second.archive.jobDir('ns', 'b', 'j'), 'out.txt'), 'utf8'), text);
  await second.store.close();
});

test('after a restart: a job an awaited node may hold waits for it, the others go to the nodes that are back; a finished unacknowledged run is not re-run', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cluster-'));
  // Coalesced job-state writes never happen before the "crash" (a long flush delay).
  const first = await makeCluster(dir, 60_000);
  const doc = await submit(first.cluster, ['j1', 'j2']);
  const a = new RecordingLink();
  first.cluster.registry.hello(hello('a'), a);
  await first.store.saveMetaNow(first.cluster.meta);
  // Crash: the head sent `a` its assignment, but the job states never reached the disk.
  await until(() => a.of('assign').length > 0, 'the assignment');
  assert.equal(a.of('assign').length, 1);
  const job = a.of('assign')[0];

  const second = await makeCluster(dir);
  assert.equal(second.cluster.book.batches.get(doc.record.id)!.jobs.every((j) => j.status.state === 'queued'), true, 'the store still shows both queued');
  const b = new RecordingLink();
  second.cluster.registry.hello(hello('b'), b);
  // Inside the recovery window (a is awaited): b gets the job a never had, not the one a holds.
  assert.ok((second.cluster as unknown as { registry: { recovering(): boolean } }).registry.recovering());
  await until(() => b.of('assign').length > 0, 'the job a never held to go to b while a is awaited');
  assert.deepEqual(b.of('assign').map((m) => m.job), [doc.jobs.find((j) => j.name !== job.job)!.name]);
  // b is busy now; free it so that it could take the held job, were that allowed.
  const toBFirst = b.of('assign')[0];
  assert.equal(await second.cluster.finisher.jobFinished(from('b', b), staged(second.archive, toBFirst, 'b result')), 'archived');
  await tick();
  await tick();
  assert.equal(b.of('assign').length, 1, 'the job a may still run is not handed to b while a is awaited');

  const a2 = new RecordingLink();
  second.cluster.registry.hello(hello('a', [{ runId: job.runId, runKey: job.runKey, state: 'finished' }]), a2);
  await tick();
  await tick();
  const toB = b.of('assign');
  assert.equal(toB.length, 1);
  assert.notEqual(toB[0].job, job.job, 'the job a finished is not handed to b');
  const status = second.cluster.book.batches.get(doc.record.id)!.jobs.find((j) => j.name === job.job)!.status;
  assert.equal(status.state, 'running');
  // The first store "crashed": it is never flushed (closing it would write into the second's files).
  await second.store.close();
});

test('a node coming back is told to forget batches that ended or vanished while it was away, not active ones', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cluster-'));
  const { cluster, archive, store } = await makeCluster(dir);
  const a = new RecordingLink();
  cluster.registry.hello(hello('a'), a);
  const ended = await submit(cluster, ['j']);
  await until(() => a.of('assign').length > 0, 'the assignment');
  assert.equal(await cluster.finisher.jobFinished(from('a', a), staged(archive, a.of('assign')[0], 'done')), 'archived');
  assert.equal(ended.record.phase, 'ended');
  const created = await cluster.commands.create(ADMIN, { ...spec(['k']), name: 'other' }, false);
  assert.ok(created.ok);
  const active = (await cluster.commands.submit(ADMIN, created.value.doc.record.id));
  assert.ok(active.ok);
  const back = new RecordingLink();
  cluster.registry.hello({ ...hello('a'), built: [ended.record.id, 'vanished-batch', active.value.record.id] }, back);
  assert.deepEqual(back.of('forget-batch').map((m) => m.batchId).sort(), [ended.record.id, 'vanished-batch'].sort());
  await store.close();
});

test('job-exited frees the run\'s share: the node gets its next job while the result is uploaded and archived; a loss then re-queues both', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cluster-'));
  const { cluster, archive, store } = await makeCluster(dir);
  const a = new RecordingLink();
  cluster.registry.hello(hello('a'), a);
  assert.equal(a.of('welcome')[0].exitReports, true, 'the welcome asks for job-exited');
  await submit(cluster, ['j1', 'j2', 'j3']);
  await until(() => a.of('assign').length === 1, 'the first assignment');
  const first = a.of('assign')[0];
  cluster.reports.started(from('a', a), first.runId);
  // A job without a request has the node alone: nothing more until its processes end.
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(a.of('assign').length, 1);
  // Only the run's holder may say it exited.
  cluster.reports.exited(from('a', new RecordingLink()), first.runId, 0);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(a.of('assign').length, 1, 'a stranger\'s job-exited changes nothing');
  cluster.reports.exited(from('a', a), first.runId, 5);
  await until(() => a.of('assign').length === 2, 'the next job, before the first result is reported');
  const second = a.of('assign')[1];
  assert.notEqual(second.job, first.job);
  // The node still holds the exited run: its result is archived as usual.
  assert.equal(cluster.registry.nodes.get('a')!.runs.size, 2);
  assert.equal(await cluster.finisher.jobFinished(from('a', a), staged(archive, first, 'hello')), 'archived');
  assert.equal(cluster.registry.nodes.get('a')!.runs.size, 1);
  // The second run exits too; then the node is lost before its result came: the job runs again.
  cluster.reports.started(from('a', a), second.runId);
  cluster.reports.exited(from('a', a), second.runId, 0);
  await until(() => a.of('assign').length === 3, 'the third job');
  (cluster.registry.nodes.get('a')!.record.lastSeen as number) = 0;
  cluster.nodeLoss.checkTimeouts();
  const doc = cluster.book.batches.get(first.batchId)!;
  const states = Object.fromEntries(doc.jobs.map((j) => [j.name, j.status.state]));
  assert.equal(states[first.job], 'done');
  assert.equal(states[second.job], 'queued', 'an exited but unreported run is re-queued when its node is lost');
  await store.flush();
});

test('results still uploading count against --min-free-disk: a node freed by job-exited gets no job the disk cannot hold', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cluster-'));
  const store = new LowdbStore(dir, 10);
  const archive = new Archive(dir);
  await archive.init();
  let free = 100;
  const pendingSeen: number[] = [];
  const cluster = new Cluster({
    store, archive, nodeTimeoutMs: 60_000, heartbeatMs: 1000,
    assignHold: (pending) => { pendingSeen.push(pending); return free - pending < 50 ? 'low' : null; },
  });
  await cluster.init();
  const a = new RecordingLink();
  cluster.registry.hello(hello('a'), a);
  await submit(cluster, ['j1', 'j2']);
  await until(() => a.of('assign').length === 1, 'the first assignment');
  const first = a.of('assign')[0];
  cluster.reports.started(from('a', a), first.runId);
  cluster.reports.exited(from('a', a), first.runId, 60);
  await until(() => pendingSeen.includes(60), 'a scheduling pass counting the 60 bytes still to come');
  assert.equal(a.of('assign').length, 1, 'held: 100 free - 60 pending is below the minimum of 50');
  // The result is archived: nothing is pending any more, the next job goes out.
  free = 40 + 100; // the disk grew meanwhile (say, files were removed)
  assert.equal(await cluster.finisher.jobFinished(from('a', a), staged(archive, first, 'x')), 'archived');
  await until(() => a.of('assign').length === 2, 'the next job once nothing is pending');
});

test('afterNextPass: called once the pass a report started has sent its assign (after the run journal), or at its end when it assigns nothing', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cluster-'));
  const { cluster, archive, store } = await makeCluster(dir);
  const a = new RecordingLink();
  cluster.registry.hello(hello('a'), a);
  await submit(cluster, ['j1', 'j2']);
  await until(() => a.of('assign').length === 1, 'the first assignment');
  const first = a.of('assign')[0];
  cluster.reports.started(from('a', a), first.runId);
  assert.equal(await cluster.finisher.jobFinished(from('a', a), staged(archive, first, 'x')), 'archived');
  // As the agent hub does with the result-ack: wait for the pass the report started.
  const seen: number[] = [];
  cluster.dispatch.afterNextPass(() => seen.push(a.of('assign').length));
  await until(() => seen.length === 1, 'the end of the pass');
  assert.deepEqual(seen, [2], 'the pass assigned j2 and sent it before calling back');
  const second = a.of('assign')[1];
  cluster.reports.started(from('a', a), second.runId);
  assert.equal(await cluster.finisher.jobFinished(from('a', a), staged(archive, second, 'y')), 'archived');
  cluster.dispatch.afterNextPass(() => seen.push(a.of('assign').length));
  await until(() => seen.length === 2, 'the end of a pass with nothing to assign');
  assert.deepEqual(seen, [2, 2]);
  await store.flush();
});
