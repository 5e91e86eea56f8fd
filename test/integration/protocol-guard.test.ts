/**
 * Bad input at the head's edges gets a clear refusal and stores nothing: WebSocket joins without
 * an agent token, a wrong protocol version, garbage on the socket, oversized or corrupted uploads,
 * malformed request bodies and unsafe names in a batch spec.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { AGENT_WS_PATH, CloseCode, PROTOCOL_VERSION } from '../../shared/protocol/index.ts';
import { api, startHeadProc, stop, tempDir, waitFor, type HeadProc } from '../helpers/cluster.ts';

let head: HeadProc;
let agentToken: string;

before(async () => {
  head = await startHeadProc(tempDir('guard'), { extra: ['--max-input-size', '1000'] });
  agentToken = fs.readFileSync(head.agentTokenFile, 'utf8').trim();
});

after(async () => {
  await stop(head);
});

/** Open a socket to the agent hub, send `messages`, and resolve with how it was closed. */
function closeOf(token: string | null, messages: string[] = []): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(head.url.replace('http', 'ws') + AGENT_WS_PATH, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    ws.on('open', () => { for (const m of messages) ws.send(m); });
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    ws.on('error', reject);
  });
}

const hello = (protocol: number) => JSON.stringify({
  type: 'hello', protocol, agentVersion: 'x', name: 'guard-node', held: [], built: [],
  capabilities: { tags: [], physicalCores: 1, logicalCores: 1, memoryBytes: 1, gpus: [] },
});

test('agent sockets without the agent token are closed as unauthorized', async () => {
  const none = await closeOf(null);
  assert.equal(none.code, CloseCode.unauthorized);
  assert.match(none.reason, /missing or invalid agent token/);
  const wrong = await closeOf('agt_not-the-token');
  assert.equal(wrong.code, CloseCode.unauthorized);
  const admin = await closeOf(head.adminToken);
  assert.equal(admin.code, CloseCode.unauthorized);
  assert.match(admin.reason, /may not join as an agent/);
});

test('garbage, a message before hello and a wrong protocol version close the socket with named codes', async () => {
  const garbage = await closeOf(agentToken, ['this is not json']);
  assert.equal(garbage.code, CloseCode.badMessage);
  assert.match(garbage.reason, /not JSON/);
  const unknown = await closeOf(agentToken, [JSON.stringify({ type: 'launch-missiles' })]);
  assert.equal(unknown.code, CloseCode.badMessage);
  assert.match(unknown.reason, /invalid message/);
  const early = await closeOf(agentToken, [JSON.stringify({ type: 'heartbeat', at: 1 })]);
  assert.equal(early.code, CloseCode.badMessage);
  assert.match(early.reason, /expected hello/);
  const version = await closeOf(agentToken, [hello(PROTOCOL_VERSION + 1)]);
  assert.equal(version.code, CloseCode.versionMismatch);
  assert.match(version.reason, new RegExp(`protocol ${PROTOCOL_VERSION + 1} not supported`));
  // The head is unharmed and no node was registered by any of these.
  assert.equal((await api(head, '/api/nodes')).body.nodes.length, 0);
  const ok = new WebSocket(head.url.replace('http', 'ws') + AGENT_WS_PATH, { headers: { authorization: `Bearer ${agentToken}` } });
  const welcome = await new Promise<any>((resolve) => {
    ok.on('open', () => ok.send(hello(PROTOCOL_VERSION)));
    ok.on('message', (raw) => resolve(JSON.parse(raw.toString())));
  });
  assert.equal(welcome.type, 'welcome');
  ok.close();
  await waitFor(async () => (await api(head, '/api/nodes')).body.nodes[0]?.state === 'offline', 5000);
});

test('oversized and corrupted input uploads are refused and leave nothing stored', async () => {
  const put = (sha: string, body: Buffer) => fetch(`${head.url}/api/inputs/${sha}`, {
    method: 'PUT', body: new Uint8Array(body), headers: { authorization: `Bearer ${head.adminToken}`, 'content-type': 'application/octet-stream' },
  });
  const big = Buffer.alloc(5000, 7);
  const bigSha = crypto.createHash('sha256').update(big).digest('hex');
  const tooBig = await put(bigSha, big);
  assert.equal(tooBig.status, 413);
  assert.match((await tooBig.json()).error, /larger than the head's limit of 1000 bytes/);
  const small = Buffer.from('hello');
  const wrongSha = crypto.createHash('sha256').update('something else').digest('hex');
  const corrupted = await put(wrongSha, small);
  assert.equal(corrupted.status, 422);
  assert.match((await corrupted.json()).error, /sha256 mismatch/);
  const notSha = await put('..%2F..%2Fetc%2Fpasswd', small);
  assert.equal(notSha.status, 400);
  const inputs = path.join(head.dataDir, 'inputs');
  assert.deepEqual(fs.readdirSync(inputs), [], 'no file, not even a partial one, was kept');
  const good = await put(crypto.createHash('sha256').update(small).digest('hex'), small);
  assert.equal(good.status, 201);
  assert.equal(fs.readdirSync(inputs).length, 1);
});

test('malformed request bodies and unsafe names in a batch spec are refused with the problem named', async () => {
  const raw = await fetch(`${head.url}/api/batches`, {
    method: 'POST', body: '{"spec": ', headers: { authorization: `Bearer ${head.adminToken}`, 'content-type': 'application/json' },
  });
  assert.equal(raw.status, 400);
  assert.match((await raw.json()).error, /not valid JSON/);
  const file = { alias: 'run.py', sha256: 'a'.repeat(64), size: 1 };
  const spec = {
    namespace: 'ns', name: 'b', kind: 'python', capabilities: [], resources: {}, maxRetries: 0, requiredMounts: [],
    initFiles: [], jobs: [{ name: '..', script: file, files: [] }],
  };
  const unsafe = await api(head, '/api/batches', { body: { spec } });
  assert.equal(unsafe.status, 400);
  assert.match(unsafe.body.error, /jobs\.0\.name: '\.\.' is not a valid folder name/);
  const traversal = await api(head, '/api/batches', { body: { spec: { ...spec, namespace: '../../etc', jobs: [{ name: 'j', script: file, files: [] }] } } });
  assert.equal(traversal.status, 400);
  assert.match(traversal.body.error, /namespace: '\.\.\/\.\.\/etc' must not contain '\/'/);
  assert.equal((await api(head, '/api/status')).body.batches.length, 0);
});
