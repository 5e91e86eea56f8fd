/**
 * keepResults: at a job's exit its distribute_save/ leaves the working folder for the run's own
 * folder (so the node's next job may start in the same folder), and the results' size is counted.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { PersistedRun } from '../../../../electron/agent/agent-store.ts';
import { keepResults, resultsDirOf } from '../../../../electron/agent/result-upload.ts';
import { Workspace } from '../../../../electron/agent/runner/index.ts';

async function setup() {
  const ws = new Workspace(fs.mkdtempSync(path.join(os.tmpdir(), 'keep-results-')));
  await ws.init();
  const run = {
    batch: { id: 'b1', name: 'b', namespace: 'ns', owner: 'o' }, spec: { name: 'j1', command: 'true', files: [] },
    runId: 'runkeep000001', attempt: 1, whole: true,
  } as unknown as PersistedRun;
  const save = path.join(ws.batchDir('b1'), 'distribute_save');
  fs.mkdirSync(path.join(save, 'sub'), { recursive: true });
  fs.mkdirSync(ws.runDirOf(run), { recursive: true });
  return { ws, run, save };
}

test('the results move into the run folder, their size (logs included) is counted, and a second call finds them moved', async () => {
  const { ws, run, save } = await setup();
  fs.writeFileSync(path.join(save, 'a.txt'), 'x'.repeat(10));
  fs.writeFileSync(path.join(save, 'sub/b.bin'), Buffer.alloc(100));
  fs.writeFileSync(path.join(ws.runDirOf(run), 'stdout.log'), 'hello\n');
  assert.equal(await keepResults(ws, run), 116);
  assert.equal(run.resultsKept, true);
  assert.equal(fs.existsSync(save), false, 'the working folder no longer holds them');
  assert.equal(resultsDirOf(ws, run), path.join(ws.runDirOf(run), 'distribute_save'));
  assert.equal(fs.readFileSync(path.join(resultsDirOf(ws, run), 'sub/b.bin')).length, 100);
  // A next job's new distribute_save/ in the same folder is not taken by a repeated call (a restart).
  fs.mkdirSync(save);
  fs.writeFileSync(path.join(save, 'a.txt'), 'next job');
  assert.equal(await keepResults(ws, run), 116);
  assert.equal(fs.readFileSync(path.join(save, 'a.txt'), 'utf8'), 'next job');
});

test('a job that left no distribute_save/ has only its logs; a missing run folder is made', async () => {
  const { ws, run, save } = await setup();
  fs.rmSync(save, { recursive: true });
  assert.equal(await keepResults(ws, run), 0);
  const other = { ...run, runId: 'runkeep000002', resultsKept: undefined } as PersistedRun;
  fs.mkdirSync(save);
  fs.writeFileSync(path.join(save, 'r.txt'), 'abc');
  assert.equal(await keepResults(ws, other), 3);
  assert.equal(fs.readFileSync(path.join(ws.runDirOf(other), 'distribute_save/r.txt'), 'utf8'), 'abc');
});

test('an empty distribute_save/ stays in the working folder for the next job; the run keeps no results, only its logs', async () => {
  const { ws, run, save } = await setup();
  fs.rmdirSync(path.join(save, 'sub'));
  const ino = fs.statSync(save).ino;
  fs.writeFileSync(path.join(ws.runDirOf(run), 'stderr.log'), 'warn\n');
  assert.equal(await keepResults(ws, run), 5);
  assert.equal(run.resultsKept, true);
  assert.equal(fs.statSync(save).ino, ino, 'the same folder, not moved');
  assert.equal(fs.existsSync(resultsDirOf(ws, run)), false, 'nothing kept for the run');
  // The next job writes into it: none of that counts for this run, also when asked again (a restart).
  fs.writeFileSync(path.join(save, 'next.txt'), 'next job');
  assert.equal(await keepResults(ws, run), 5);
  assert.equal(fs.readFileSync(path.join(save, 'next.txt'), 'utf8'), 'next job');
});
