/**
 * The dashboard's live frames: changes are gathered into one frame, the first frame comes at once,
 * and a user's frames carry only batches that user may read (another user's private batch never
 * appears, not even in the running list), with the same job views as the batch route.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { Response } from 'express';
import type { BatchSpec } from '../../../../shared/batch/spec.ts';
import { Archive } from '../../../../head/archive/archive.ts';
import { Cluster } from '../../../../head/core/cluster.ts';
import { followLive } from '../../../../head/http/live-feed.ts';
import { LowdbStore } from '../../../../head/store/lowdb-store.ts';

const spec = (name: string, share?: 'lab'): BatchSpec => ({
  namespace: 'ns', name, kind: 'shell', capabilities: [], resources: {}, maxRetries: 0, requiredMounts: [], initFiles: [],
  jobs: [{ name: 'j1', command: 'true', files: [] }, { name: 'j2', command: 'true', files: [] }], ...(share ? { share } : {}),
} as BatchSpec);

/** A stand-in for the SSE response: collects the `live` frames written to it. */
function sink() {
  const frames: any[] = [];
  const res = { write: (chunk: string) => { const m = /^event: live\ndata: (.*)\n\n$/s.exec(chunk); if (m) frames.push(JSON.parse(m[1])); return true; } };
  return { res: res as unknown as Response, frames };
}

const until = async (cond: () => boolean) => { for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setTimeout(r, 10)); assert.ok(cond()); };

test('live frames: first at once, changes coalesced, only readable batches', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distribute-live-'));
  const store = new LowdbStore(dir, 10);
  const archive = new Archive(dir);
  await archive.init();
  const cluster = new Cluster({ store, archive, nodeTimeoutMs: 60_000, heartbeatMs: 1000 });
  await cluster.init();
  const alice = { kind: 'user', name: 'alice' } as const;
  const bob = { kind: 'user', name: 'bob' } as const;
  const ids: Record<string, string> = {};
  for (const [owner, name, share] of [[alice, 'private'], [alice, 'shared', 'lab'], [bob, 'mine']] as const) {
    const created = await cluster.commands.create(owner, spec(name, share), false);
    assert.ok(created.ok);
    assert.ok((await cluster.commands.submit(owner, created.value.doc.record.id)).ok);
    ids[name] = created.value.doc.record.id;
  }

  const forBob = sink();
  let disk = 'ok';
  const stop = followLive(cluster, bob, forBob.res, { delayMs: 100, archive: () => ({ state: disk }) });
  await until(() => forBob.frames.length === 1);
  assert.deepEqual(forBob.frames[0].batches.map((b: any) => b.name).sort(), ['mine', 'shared'], 'alice\'s private batch is not in bob\'s frames');
  assert.deepEqual(forBob.frames[0].archive, { state: 'ok' });

  // The archive disk filling changes no job or node, and still sends a frame with its state.
  disk = 'full';
  cluster.events.emit('archive:changed');
  await until(() => forBob.frames.length === 2);
  assert.deepEqual(forBob.frames[1].archive, { state: 'full' });
  forBob.frames.splice(1);

  // Kill two batches at once (their jobs change in the same tick): one frame for both, with each changed job.
  const kills = await Promise.all([cluster.commands.kill(alice, ids.private), cluster.commands.kill(bob, ids.mine)]);
  assert.ok(kills.every((k) => k.ok));
  await until(() => forBob.frames.length >= 2);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(forBob.frames.length, 2, 'the changes of both kills came as one frame');
  const frame = forBob.frames[1];
  assert.deepEqual(frame.batches.map((b: any) => b.name), ['mine']);
  assert.deepEqual(frame.jobs.map((j: any) => [j.batchId, j.name, j.state]), [[ids.mine, 'j1', 'done'], [ids.mine, 'j2', 'done']]);
  assert.ok(!JSON.stringify(frame).includes('private'), 'nothing of the private batch leaks');

  // A removed batch is announced by id.
  const doc = cluster.book.batches.get(ids.mine)!;
  await cluster.commands.remove(doc, 'bob');
  await until(() => forBob.frames.length >= 3);
  assert.deepEqual(forBob.frames[2].removed, [ids.mine]);
  stop();
  assert.ok((await cluster.commands.kill(alice, ids.shared)).ok);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(forBob.frames.length, 3, 'no frame after stop');
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});
