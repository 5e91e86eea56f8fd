/**
 * Issue 12, limits: body limits per route (only batch creation is large), header / body / idle
 * timeouts, unauthenticated bodies are never waited for, a connection cap per address. Real heads
 * on loopback (in-process where a test needs short timeouts or a small cap) and raw sockets as the
 * hostile client. Nothing here asserts a duration: each test waits for the event (a 413, a 408,
 * the socket closing) with a generous ceiling.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { routes } from '../../shared/api/routes.ts';
import { startHead, type RunningHead } from '../../head/server.ts';
import { api, startHeadProc, stop, tempDir, type HeadProc } from '../helpers/cluster.ts';

let head: HeadProc;

before(async () => {
  head = await startHeadProc(tempDir('limits-head'));
});
after(async () => {
  await stop(head);
});

/** A raw connection to `url` that records what comes back and when it closes. */
function rawSocket(url: string): Promise<{ socket: net.Socket; data: () => string; closed: Promise<void> }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(u.port), u.hostname);
    let data = '';
    socket.on('data', (d) => { data += d; });
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.once('error', () => { /* closed by the head: reported through `closed` */ });
    socket.once('connect', () => resolve({ socket, data: () => data, closed }));
    socket.once('error', reject);
  });
}

const within = <T>(p: Promise<T>, ms: number, what: string) => Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms).unref())]);

test('small routes take small JSON bodies; batch creation takes a large one', async () => {
  const big = { name: 'x'.repeat(1024 * 1024) };
  const users = await api(head, routes.users(), { body: big });
  assert.equal(users.status, 413, JSON.stringify(users.body).slice(0, 200));
  assert.match(users.body.error, /too large for POST \/api\/users/);
  const pause = await api(head, routes.nodePause('n'), { body: { duration: '1h', pad: 'x'.repeat(200_000) } });
  assert.equal(pause.status, 413);
  // A 3 MB batch spec (2,000 jobs with long commands) is fine for batch creation.
  const jobs = Array.from({ length: 2000 }, (_, i) => ({ name: `job_${i}`, command: `echo ${'y'.repeat(1500)}`, files: [] }));
  const spec = { namespace: 'ns', name: 'large', kind: 'shell', capabilities: [], resources: {}, maxRetries: 0, requiredMounts: [], initFiles: [], jobs };
  const created = await api(head, routes.batches(), { body: { spec, force: true } });
  assert.equal(created.status, 201, JSON.stringify(created.body).slice(0, 300));
});

test('an unauthenticated request is answered 401 and its connection closed, its body never read', async () => {
  const c = await rawSocket(head.url);
  c.socket.write(`POST ${routes.batches()} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 60000000\r\n\r\n{"spec":`);
  await within(c.closed, 30_000, 'closing the unauthenticated connection');
  assert.match(c.data(), /^HTTP\/1\.1 401/);
  assert.match(c.data(), /connection: close/i);
});

test('the connection cap per address refuses the extra connections and accepts again when one closes', async () => {
  const small = await startHead({ dataDir: tempDir('cap'), port: 0, maxConnectionsPerAddress: 4, log: () => {} });
  try {
    const held = await Promise.all(Array.from({ length: 4 }, () => rawSocket(small.url)));
    const extra = await rawSocket(small.url);
    await within(extra.closed, 10_000, 'closing the fifth connection');
    assert.equal(extra.data(), '', 'nothing was served on it');
    held[0].socket.destroy();
    await held[0].closed;
    // The head notices the close asynchronously: ask until a new connection is served.
    let served = false;
    for (let i = 0; i < 50 && !served; i++) {
      const again = await rawSocket(small.url);
      again.socket.write(`GET ${routes.health()} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`);
      await within(again.closed, 10_000, 'an answer on a new connection');
      served = /^HTTP\/1\.1 200/.test(again.data());
      if (!served) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(served, 'a connection is accepted again once one closed');
    for (const h of held.slice(1)) h.socket.destroy();
  } finally {
    await small.close();
  }
});

test('slow headers, slow bodies and idle connections are closed by the head', async (t) => {
  let quick: RunningHead | null = await startHead({ dataDir: tempDir('timeouts'), port: 0, timeouts: { headersMs: 2000, bodyMs: 1500, idleMs: 3000 }, log: () => {} });
  t.after(async () => { await quick?.close(); quick = null; });
  const url = quick.url;

  // Headers trickled a byte at a time: never idle, but never complete.
  const slowHeaders = await rawSocket(url);
  const line = `GET ${routes.status()} HTTP/1.1\r\nhost: x\r\nx-pad: ${'a'.repeat(500)}`;
  let i = 0;
  const drip = setInterval(() => { if (!slowHeaders.socket.destroyed) slowHeaders.socket.write(line[i++ % line.length]); }, 200);
  try {
    await within(slowHeaders.closed, 30_000, 'closing a connection whose headers never end');
  } finally {
    clearInterval(drip);
  }

  // An authenticated JSON body sent slowly gets 408 and the connection is closed.
  const slowBody = await rawSocket(url);
  slowBody.socket.write(`POST ${routes.users()} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${quick.adminToken}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"name":"`);
  const bodyDrip = setInterval(() => { if (!slowBody.socket.destroyed) slowBody.socket.write('a'); }, 200);
  try {
    await within(slowBody.closed, 30_000, 'closing a slow JSON body');
  } finally {
    clearInterval(bodyDrip);
  }
  assert.match(slowBody.data(), /^HTTP\/1\.1 408/);
  assert.match(slowBody.data(), /request body not received within 1\.5 s/);

  // A connection that sends nothing at all is closed too.
  const idle = await rawSocket(url);
  await within(idle.closed, 30_000, 'closing an idle connection');
  assert.match(idle.data(), /^(HTTP\/1\.1 408 [^\n]*\r\n[\s\S]*)?$/, 'closed silently or with a 408, never served');
});
