import assert from 'node:assert/strict';
import { test } from 'node:test';
import { logsQuery } from '../../../../head/cli/logs.ts';

test('logs: query string per option, bad stream refused', () => {
  assert.deepEqual(logsQuery({}), { ok: true, query: { stream: undefined, follow: false, tail: undefined } });
  assert.deepEqual(logsQuery({ follow: true, stream: 'stderr', tail: '20' }), { ok: true, query: { stream: 'stderr', follow: true, tail: 20 } });
  assert.equal(logsQuery({ stream: 'both' }).ok, false);
  assert.equal(logsQuery({ tail: '-3' }).ok, false);
});
