import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { hashFileInto, sha256Hex, sha256OfFile } from '../../../shared/hash-file.ts';

const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

test('sha256OfFile and hashFileInto match a one-shot sha256 for sizes around the 1 MiB chunk, and for a prefix', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hash-file-'));
  try {
    for (const size of [0, 1, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 3 * (1 << 20) + 12345]) {
      const data = crypto.randomBytes(size);
      const file = path.join(dir, `f${size}`);
      fs.writeFileSync(file, data);
      assert.deepEqual(await sha256OfFile(file), { sha256: sha(data), size }, `size ${size}`);
      for (const end of [0, 1, size >> 1, size]) {
        const h = crypto.createHash('sha256');
        assert.equal(await hashFileInto(h, file, end), Math.min(end, size));
        assert.equal(h.digest('hex'), sha(data.subarray(0, end)), `size ${size}, end ${end}`);
      }
    }
    // Asked past its end, a file gives what it has.
    const h = crypto.createHash('sha256');
    assert.equal(await hashFileInto(h, path.join(dir, 'f1'), 100), 1);
    await assert.rejects(sha256OfFile(path.join(dir, 'missing')), /ENOENT/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('sha256Hex of bytes in memory equals a Hash object\'s digest, for empty, small and sliced buffers', () => {
  const big = crypto.randomBytes(70_000);
  for (const data of [Buffer.alloc(0), Buffer.from('abc'), big.subarray(0, 4096), big.subarray(1000, 66_536), big]) {
    assert.equal(sha256Hex(data), crypto.createHash('sha256').update(data).digest('hex'), `${data.length} bytes`);
  }
  assert.equal(sha256Hex(Buffer.from('abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});
