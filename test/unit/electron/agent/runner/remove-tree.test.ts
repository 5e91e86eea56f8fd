import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { emptyDir, isEmptyFolder, removeTree } from '../../../../../electron/agent/runner/remove-tree.ts';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'remove-tree-'));

test('removeTree: a run folder (logs, exit code, nested results) goes; links are removed, never followed', async () => {
  const root = tmp();
  const outside = path.join(root, 'outside');
  fs.mkdirSync(path.join(outside, 'deep'), { recursive: true });
  fs.writeFileSync(path.join(outside, 'deep', 'keep.txt'), 'keep');
  const run = path.join(root, 'run');
  fs.mkdirSync(path.join(run, 'distribute_save', 'a', 'b'), { recursive: true });
  for (const f of ['stdout.log', 'stderr.log', 'exit-code', 'distribute_save/a/b/x.txt']) fs.writeFileSync(path.join(run, f), 'x');
  fs.mkdirSync(path.join(run, 'empty'));
  fs.symlinkSync(outside, path.join(run, 'distribute_save', 'dir-link'));
  fs.symlinkSync(path.join(outside, 'deep', 'keep.txt'), path.join(run, 'file-link'));
  fs.symlinkSync(path.join(root, 'nowhere'), path.join(run, 'dangling'));
  await removeTree(run);
  assert.equal(fs.existsSync(run), false);
  assert.equal(fs.readFileSync(path.join(outside, 'deep', 'keep.txt'), 'utf8'), 'keep', 'a link target is untouched');
  fs.rmSync(root, { recursive: true });
});

test('removeTree: a missing folder is fine, an empty one goes, a tree too big for the synchronous path goes all the same', async () => {
  const root = tmp();
  await removeTree(path.join(root, 'missing'));
  fs.mkdirSync(path.join(root, 'empty'));
  await removeTree(path.join(root, 'empty'));
  assert.equal(fs.existsSync(path.join(root, 'empty')), false);
  const big = path.join(root, 'big');
  for (let d = 0; d < 5; d++) {
    fs.mkdirSync(path.join(big, `d${d}`), { recursive: true });
    for (let i = 0; i < 40; i++) fs.writeFileSync(path.join(big, `d${d}`, `f${i}`), 'x');
  }
  await removeTree(big);
  assert.equal(fs.existsSync(big), false);
  assert.deepEqual(fs.readdirSync(root), []);
  fs.rmSync(root, { recursive: true });
});

test('removeTree: a folder it cannot empty is an error, as with fs.rm', async (t) => {
  const root = tmp();
  const locked = path.join(root, 'run', 'locked');
  fs.mkdirSync(locked, { recursive: true });
  const file = path.join(locked, 'f');
  fs.writeFileSync(file, 'x');
  // A read-only folder stops anyone but root; root is stopped by an immutable file (ext4, xfs, btrfs).
  const asRoot = process.getuid?.() === 0;
  const lock = () => (asRoot ? execFileSync('chattr', ['+i', file], { stdio: 'pipe' }) : fs.chmodSync(locked, 0o500));
  const unlock = () => (asRoot ? execFileSync('chattr', ['-i', file], { stdio: 'pipe' }) : fs.chmodSync(locked, 0o700));
  try {
    lock();
  } catch (err) {
    fs.rmSync(root, { recursive: true });
    return t.skip(`cannot make a file this process may not remove here: ${(err as Error).message.split('\n')[0]}`);
  }
  try {
    await assert.rejects(removeTree(path.join(root, 'run')));
    assert.ok(fs.existsSync(file), 'the file it could not remove is still there');
  } finally {
    unlock();
    fs.rmSync(root, { recursive: true });
  }
});

test('emptyDir: an empty folder is kept as it is, a full one emptied, a missing one made, a link replaced by a folder', async () => {
  const root = tmp();
  const empty = path.join(root, 'input');
  fs.mkdirSync(empty);
  const ino = fs.statSync(empty).ino;
  await emptyDir(empty);
  assert.equal(fs.statSync(empty).ino, ino, 'the same folder, not a new one');
  fs.mkdirSync(path.join(empty, 'sub'));
  fs.writeFileSync(path.join(empty, 'sub', 'f'), 'x');
  await emptyDir(empty);
  assert.deepEqual(fs.readdirSync(empty), []);
  await emptyDir(path.join(root, 'missing'));
  assert.deepEqual(fs.readdirSync(path.join(root, 'missing')), []);
  const elsewhere = path.join(root, 'elsewhere');
  fs.mkdirSync(elsewhere);
  fs.writeFileSync(path.join(elsewhere, 'keep'), 'k');
  const link = path.join(root, 'linked');
  fs.symlinkSync(elsewhere, link);
  await emptyDir(link);
  assert.equal(fs.lstatSync(link).isDirectory(), true, 'a real folder now');
  assert.deepEqual(fs.readdirSync(link), []);
  assert.equal(fs.readFileSync(path.join(elsewhere, 'keep'), 'utf8'), 'k', 'the link target is untouched');
  fs.rmSync(root, { recursive: true });
});

test('isEmptyFolder: what emptyDir keeps; remembered, it spares emptyDir the listing in the same turn of the event loop only', async () => {
  const root = tmp();
  const save = path.join(root, 'distribute_save');
  fs.mkdirSync(save);
  assert.equal(isEmptyFolder(save), true);
  assert.equal(isEmptyFolder(path.join(root, 'missing')), false);
  fs.chmodSync(save, 0o500);
  assert.equal(isEmptyFolder(save), false, 'not writable by its owner: emptyDir replaces it');
  fs.chmodSync(save, 0o755);
  fs.symlinkSync(save, path.join(root, 'link'));
  assert.equal(isEmptyFolder(path.join(root, 'link')), false, 'a link to an empty folder is not one');

  // Remembered (keepResults at a job's end), then reset in the same turn (the next job's
  // prepareJob): not listed again, so a file that appeared in between is still there.
  assert.equal(isEmptyFolder(save, true), true);
  fs.writeFileSync(path.join(save, 'late'), 'x');
  await emptyDir(save);
  assert.deepEqual(fs.readdirSync(save), ['late']);
  // Taken once: the next emptyDir lists it.
  await emptyDir(save);
  assert.deepEqual(fs.readdirSync(save), []);

  // Not remembered past the turn, nor by emptyDir's own check, nor for another folder.
  assert.equal(isEmptyFolder(save, true), true);
  await nextTurn();
  fs.writeFileSync(path.join(save, 'later'), 'x');
  await emptyDir(save);
  assert.deepEqual(fs.readdirSync(save), []);
  await emptyDir(save);
  fs.writeFileSync(path.join(save, 'again'), 'x');
  await emptyDir(save);
  assert.deepEqual(fs.readdirSync(save), []);
  const other = path.join(root, 'input');
  fs.mkdirSync(other);
  fs.writeFileSync(path.join(other, 'f'), 'x');
  assert.equal(isEmptyFolder(save, true), true);
  await emptyDir(other);
  assert.deepEqual(fs.readdirSync(other), []);
  fs.rmSync(root, { recursive: true });
});

test('removeTree holdsFiles: a run folder is listed at once and goes; a missing or empty one is fine too', async () => {
  const root = tmp();
  const run = path.join(root, 'run');
  fs.mkdirSync(path.join(run, 'distribute_save', 'sub'), { recursive: true });
  for (const f of ['stdout.log', 'stderr.log', 'exit-code', 'distribute_save/sub/r.txt']) fs.writeFileSync(path.join(run, f), 'x');
  await removeTree(run, { holdsFiles: true });
  assert.equal(fs.existsSync(run), false);
  await removeTree(run, { holdsFiles: true });
  fs.mkdirSync(run);
  await removeTree(run, { holdsFiles: true });
  assert.deepEqual(fs.readdirSync(root), []);
  fs.rmSync(root, { recursive: true });
});
