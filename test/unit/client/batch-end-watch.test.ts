/**
 * `distribute wait`'s ear on the head's event stream: told batch ends through the CLI's node:http
 * transport (no fetch), frames split anywhere, other kinds ignored, and close() really hangs up.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeadClient } from '../../../shared/api/head-client.ts';
import { watchBatchEnds } from '../../../client/batch-end-watch.ts';
import { cliTransport } from '../../../head/cli/client.ts';
import { endedBatchId } from '../../../shared/protocol/sse.ts';

test('endedBatchId reads only batch-ended events with a string id', () => {
  assert.equal(endedBatchId('{"type":"batch-ended","batchId":"b1","outcome":"finished"}'), 'b1');
  assert.equal(endedBatchId('{"type":"batch-ended","batchId":7}'), null);
  assert.equal(endedBatchId('{"type":"node-lost","batchId":"b1"}'), null);
  assert.equal(endedBatchId('null'), null);
  assert.equal(endedBatchId('not json'), null);
});

test('a watch hears batch ends from the stream and close() ends the request', async () => {
  let closed!: () => void;
  const hungUp = new Promise<void>((r) => { closed = r; });
  let sent: http.ServerResponse | null = null;
  let auth: string | undefined;
  const server = http.createServer((req, res) => {
    auth = req.headers.authorization;
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('retry: 2000\n: connected\n\n');
    sent = res;
    req.on('close', () => closed());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const client = new HeadClient({ base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 'tok', transport: cliTransport });
    const watch = watchBatchEnds(client);
    assert.equal(await watch.opened, true);
    assert.equal(auth, 'Bearer tok');
    const first = watch.ended('b1');
    // One frame split across writes, an event of another kind, then b1's end.
    sent!.write('event: distribute\ndata: {"type":"other","batchId":"b1"}\n\nevent: distribute\nda');
    sent!.write('ta: {"type":"batch-ended","batchId":"b1"}\n\n');
    await first;
    sent!.write('data: {"type":"batch-ended","batchId":"b2"}\n\n');
    await new Promise((r) => setTimeout(r, 50));
    await watch.ended('b2'); // (most likely) told before it was asked for
    watch.close();
    await hungUp;
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

test('a head without the stream (404) leaves the watch unopened, never told', async () => {
  const server = http.createServer((_req, res) => { res.writeHead(404, { 'content-type': 'application/json' }); res.end('{"error":"no route"}'); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const client = new HeadClient({ base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 't', transport: cliTransport });
    const watch = watchBatchEnds(client);
    assert.equal(await watch.opened, false);
    watch.close();
  } finally {
    await new Promise((r) => server.close(r));
  }
});
