/**
 * Run folders: a retired run's folder is emptied and kept (up to a few) to become the next run's
 * folder by a rename, instead of a folder made and removed per job.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { Workspace } from '../../../../../electron/agent/runner/workspace.ts';

async function workspace(): Promise<Workspace> {
  const ws = new Workspace(fs.mkdtempSync(path.join(os.tmpdir(), 'run-dirs-')));
  await ws.init();
  return ws;
}

const spares = (ws: Workspace) => fs.readdirSync(path.join(ws.root, 'spare'));

test('a retired run folder is emptied, kept, and renamed into the next run\'s place (also in another batch)', async () => {
  const ws = await workspace();
  const first = ws.runDir('b1', 'j1', 'r1');
  ws.makeRunDir(first);
  assert.deepEqual(fs.readdirSync(first), [], 'the batch\'s first run: a new folder');
  for (const f of ['stdout.log', 'stderr.log', 'exit-code']) fs.writeFileSync(path.join(first, f), 'x');
  fs.mkdirSync(path.join(first, 'distribute_save', 'sub'), { recursive: true });
  fs.writeFileSync(path.join(first, 'distribute_save', 'sub', 'r.txt'), 'result');
  const ino = fs.statSync(first).ino;
  await ws.retireRunDir(first);
  assert.equal(fs.existsSync(first), false);
  assert.equal(spares(ws).length, 1);

  const second = ws.runDir('b1', 'j2', 'r2');
  ws.makeRunDir(second);
  assert.equal(fs.statSync(second).ino, ino, 'the same folder, renamed');
  assert.deepEqual(fs.readdirSync(second), [], 'nothing of the earlier run in it');
  assert.deepEqual(spares(ws), []);

  await ws.retireRunDir(second);
  const other = ws.runDir('b2', 'j1', 'r3');
  ws.makeRunDir(other);
  assert.equal(fs.statSync(other).ino, ino, 'another batch\'s run: its runs folder is made, the spare used');
  await ws.retireRunDir(other);
  await ws.retireRunDir(other); // gone already: fine
  fs.rmSync(ws.root, { recursive: true });
});

test('at most 8 spare folders; a big tree is removed, not kept; a folder that exists keeps its files', async () => {
  const ws = await workspace();
  const dirs = Array.from({ length: 10 }, (_, i) => ws.runDir('b1', `j${i}`, `r${i}`));
  for (const d of dirs) {
    ws.makeRunDir(d);
    fs.writeFileSync(path.join(d, 'stdout.log'), 'x');
  }
  for (const d of dirs) await ws.retireRunDir(d);
  assert.equal(spares(ws).length, 8);
  assert.deepEqual(fs.readdirSync(path.join(ws.root, 'runs', 'b1')), []);

  const big = ws.runDir('b1', 'big', 'rb');
  ws.makeRunDir(big);
  fs.mkdirSync(path.join(big, 'distribute_save'));
  for (let i = 0; i < 100; i++) fs.writeFileSync(path.join(big, 'distribute_save', `f${i}`), 'x');
  const left = spares(ws).length;
  await ws.retireRunDir(big);
  assert.equal(fs.existsSync(big), false);
  assert.equal(spares(ws).length, left, 'too big to empty synchronously: removed');

  const existing = ws.runDir('b1', 'again', 'ra');
  fs.mkdirSync(existing, { recursive: true });
  fs.writeFileSync(path.join(existing, 'stdout.log'), 'kept');
  const before = spares(ws).length;
  ws.makeRunDir(existing);
  assert.equal(fs.readFileSync(path.join(existing, 'stdout.log'), 'utf8'), 'kept');
  assert.equal(spares(ws).length, before, 'the spare is not used up');
  fs.rmSync(ws.root, { recursive: true });
});

test('a new agent process does not trust spare folders left by an earlier one', async () => {
  const ws = await workspace();
  const d = ws.runDir('b1', 'j1', 'r1');
  ws.makeRunDir(d);
  await ws.retireRunDir(d);
  const [spare] = spares(ws);
  fs.writeFileSync(path.join(ws.root, 'spare', spare, 'planted'), 'x');
  const again = new Workspace(ws.root);
  await again.init();
  assert.deepEqual(spares(again), []);
  const next = again.runDir('b1', 'j2', 'r2');
  again.makeRunDir(next);
  assert.deepEqual(fs.readdirSync(next), []);
  fs.rmSync(ws.root, { recursive: true });
});
