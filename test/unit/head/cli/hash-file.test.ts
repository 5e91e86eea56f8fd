/** hashFile streams: digest and size match node:crypto on the whole buffer, across many chunks. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashFile } from '../../../../head/cli/hash-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'distribute-hash-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('hash and size of an empty file and of a multi-chunk file', async () => {
  writeFileSync(join(dir, 'empty'), '');
  assert.deepEqual(await hashFile(join(dir, 'empty')), {
    sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', size: 0,
  });
  const data = randomBytes(3 * 64 * 1024 + 17); // several read-stream chunks
  writeFileSync(join(dir, 'big'), data);
  assert.deepEqual(await hashFile(join(dir, 'big')), {
    sha256: createHash('sha256').update(data).digest('hex'), size: data.length,
  });
});

test('a missing file rejects with ENOENT', async () => {
  await assert.rejects(hashFile(join(dir, 'missing')), { code: 'ENOENT' });
});
