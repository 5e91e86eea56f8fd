/**
 * HeadClient.batchSummary (`GET /api/batches/:ref?jobs=none`, what `distribute wait` polls): the
 * batch alone from a head that knows the query, and the same from an older head that sends every
 * job (the BatchView shape drops them).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeadClient } from '../../../../shared/api/head-client.ts';
import { cliTransport } from '../../../../head/cli/client.ts';

const VIEW = {
  id: 'b1', namespace: 'ns', name: 'b', owner: 'admin', kind: 'shell', phase: 'ended', outcome: 'finished', createdAt: 1, submittedAt: 2, endedAt: 3,
  total: 1, counts: { queued: 0, assigned: 0, running: 0, paused: 0, succeeded: 1, failed: 0, cancelled: 0, buildFailed: 0 },
  capabilities: [], resources: {}, buildFailures: {},
};
const JOB = { name: 'j', attempts: 1, retries: 0, state: 'done', node: 'n', attempt: 1, outcome: 'succeeded', result: { outcome: 'succeeded', exitCode: 0 }, startedAt: 2, endedAt: 3, runMs: 1 };

async function withHead(answer: (url: string) => unknown, fn: (client: HeadClient, seen: string[]) => Promise<void>): Promise<void> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer(req.url ?? '')));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    await fn(new HeadClient({ base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 't', transport: cliTransport }), seen);
  } finally {
    await new Promise((r) => server.close(r));
  }
}

test('batchSummary asks for the batch without its jobs', async () => {
  await withHead((url) => (url.includes('jobs=none') ? VIEW : { ...VIEW, jobs: [JOB] }), async (client, seen) => {
    const r = await client.batchSummary('ns/b');
    assert.ok(r.ok);
    assert.deepEqual(r.value, VIEW);
    assert.deepEqual(seen, ['/api/batches/ns%2Fb?jobs=none']);
  });
});

test('an older head that sends every job anyway gives the same summary', async () => {
  await withHead(() => ({ ...VIEW, jobs: [JOB] }), async (client) => {
    const r = await client.batchSummary('b1');
    assert.ok(r.ok);
    assert.equal('jobs' in r.value, false);
    assert.deepEqual(r.value, VIEW);
  });
});
