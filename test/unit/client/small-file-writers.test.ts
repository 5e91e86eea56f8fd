import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { SmallFileWriters } from '../../../client/small-file-writers.ts';

const temp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'distribute-writers-'));

function listAll(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort();
}

test('writer threads put every file in place byte for byte, folders made (also ahead of their files), no .partial left, progress counts every byte', async () => {
  const root = temp();
  try {
    let written = 0;
    const w = new SmallFileWriters(2, (n) => { written += n; });
    // Folders asked for ahead of their files (one stays empty: it is made all the same).
    w.makeDirs([path.join(root, 'job0'), path.join(root, 'job1', 'sub'), path.join(root, 'ahead', 'empty')]);
    const expected = new Map<string, Buffer>();
    // Slices of one big buffer, like a socket chunk: each must arrive as its own bytes only.
    const chunk = crypto.randomBytes(300 * 1000);
    for (let i = 0; i < 300; i++) {
      const rel = path.join(`job${i % 7}`, i % 3 ? 'sub' : '', `f${i}.bin`);
      const data = chunk.subarray(i * 1000, i * 1000 + (i % 5 === 0 ? 0 : 1000 - i));
      expected.set(rel, data);
      const local = path.join(root, rel);
      w.write(path.dirname(local), local, data);
      const wait = w.room();
      if (wait) await wait;
    }
    await w.done();
    await w.close();
    assert.deepEqual(listAll(root), [...expected.keys()].sort());
    assert.ok(fs.statSync(path.join(root, 'ahead', 'empty')).isDirectory());
    for (const [rel, data] of expected) assert.ok(fs.readFileSync(path.join(root, rel)).equals(data), rel);
    assert.equal(written, [...expected.values()].reduce((a, b) => a + b.length, 0));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('a write that fails comes back from done() with its errno code; close() still ends the threads', async () => {
  const root = temp();
  try {
    fs.writeFileSync(path.join(root, 'not-a-folder'), 'x');
    const w = new SmallFileWriters(1, () => undefined);
    w.write(root, path.join(root, 'ok.bin'), Buffer.from('fine'));
    w.write(path.join(root, 'not-a-folder'), path.join(root, 'not-a-folder', 'f.bin'), Buffer.from('nope'));
    await assert.rejects(w.done(), (err: NodeJS.ErrnoException) => err.code === 'EEXIST' || err.code === 'ENOTDIR');
    // Further writes refuse at once instead of queueing behind the failure.
    assert.throws(() => w.write(root, path.join(root, 'later.bin'), Buffer.from('x')));
    await w.close();
    assert.equal(fs.readFileSync(path.join(root, 'ok.bin'), 'utf8'), 'fine');
    assert.deepEqual(fs.readdirSync(root).filter((f) => f.endsWith('.partial')), []);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
