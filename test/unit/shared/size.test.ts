import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatSize } from '../../../shared/size.ts';

test('formatSize prints the largest binary unit', () => {
  assert.equal(formatSize(512), '512 B');
  assert.equal(formatSize(1536 * 2 ** 20), '1.5 GiB');
  assert.equal(formatSize(5 * 2 ** 20), '5.0 MiB');
});
