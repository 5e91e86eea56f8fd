import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'node:test';
import { hashRunKey, newRunId, newRunKey, RUN_ID_PATTERN } from '../../../../shared/job/run-id.ts';

test('run ids and keys are well formed and never repeat across many pool refills', () => {
  const ids = new Set<string>();
  const keys = new Set<string>();
  for (let i = 0; i < 5000; i++) {
    const id = newRunId();
    const key = newRunKey();
    assert.match(id, RUN_ID_PATTERN);
    assert.equal(id.length, 17); // 'r' + 12 bytes in base64url
    assert.equal(Buffer.from(key, 'base64url').length, 32);
    ids.add(id);
    keys.add(key);
  }
  assert.equal(ids.size, 5000);
  assert.equal(keys.size, 5000);
});

test('hashRunKey is the hex sha256 of the key', () => {
  const key = newRunKey();
  assert.equal(hashRunKey(key), crypto.createHash('sha256').update(key).digest('hex'));
  assert.equal(hashRunKey('é'), crypto.createHash('sha256').update('é', 'utf8').digest('hex'));
});
