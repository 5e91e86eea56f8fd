import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HeadClient } from '../../../../shared/api/head-client.ts';
import { fakeTransport, node } from './fake-transport.ts';

test('a valid answer comes back typed; the token goes in the Authorization header', async () => {
  const { transport, sent } = fakeTransport({ 'GET /api/nodes': { status: 200, body: { nodes: [node] } } });
  const r = await new HeadClient({ base: 'http://head:1/', token: 'tok', transport }).nodes();
  assert.ok(r.ok);
  assert.equal(r.value.nodes[0].name, 'n1');
  assert.equal(sent[0].url, 'http://head:1/api/nodes');
  assert.equal(sent[0].headers.authorization, 'Bearer tok');
});

test('a refusal carries the head\'s message and status; a 401 names where the token came from', async () => {
  const { transport } = fakeTransport({ 'GET /api/status': { status: 401, body: { error: 'invalid token' } } });
  const r = await new HeadClient({ base: 'http://head:1', token: 't', tokenSource: '--token-file /x', transport }).status();
  assert.deepEqual(!r.ok && r.error.kind, 'refused');
  assert.equal(!r.ok && r.error.kind === 'refused' && r.error.status, 401);
  assert.equal(!r.ok && r.error.message, 'invalid token (the token from --token-file /x)');
});

test('an answer that breaks the contract is a bad-response naming the field, never a cast', async () => {
  const { transport } = fakeTransport({
    'GET /api/nodes': { status: 200, body: { nodes: [{ ...node, state: 'exploded' }] } },
    'GET /api/whoami': { status: 200, body: 'not json' },
  });
  const client = new HeadClient({ base: 'http://head:1', token: 't', transport });
  const nodes = await client.nodes();
  assert.equal(!nodes.ok && nodes.error.kind, 'bad-response');
  assert.match(!nodes.ok ? nodes.error.message : '', /^the head sent a node list the client refuses: nodes\.0\.state: /);
  const who = await client.whoami();
  assert.match(!who.ok ? who.error.message : '', /not JSON/);
});

test('a manifest with an unsafe path is refused before anyone writes it', async () => {
  const manifest = { id: 'b', namespace: 'ns', batch: 'b', pending: [], files: [{ job: 'j', path: '../../etc/passwd', size: 1, sha256: 'a'.repeat(64) }] };
  const { transport } = fakeTransport({ 'GET /api/batches/b/manifest': { status: 200, body: manifest } });
  const r = await new HeadClient({ base: 'http://head:1', token: 't', transport }).manifest('b');
  assert.equal(!r.ok && r.error.kind, 'bad-response');
  assert.match(!r.ok ? r.error.message : '', /files\.0\.path/);
});

test('no answer at all is unreachable, with the reason', async () => {
  const { transport } = fakeTransport({ 'GET /api/status': Object.assign(new Error('connect failed'), { code: 'ECONNREFUSED' }) });
  const r = await new HeadClient({ base: 'http://head:1', token: 't', transport }).status();
  assert.equal(!r.ok && r.error.kind, 'unreachable');
  assert.equal(!r.ok && r.error.message, 'cannot reach the head at http://head:1: ECONNREFUSED');
});

test('createBatch and retryBatch hand back the detail of their refusals', async () => {
  const fit = { node: 'n1', connected: true, ok: false, reasons: ['lacks tag gfortran'] };
  const { transport, sent } = fakeTransport({
    'POST /api/batches': { status: 422, body: { error: 'no node can run batch \'b\'', nodes: [fit] } },
    'POST /api/batches/b/retry': { status: 409, body: { error: 'inputs gone', missing: [{ sha256: 'a'.repeat(64), alias: 'in.txt' }] } },
  });
  const client = new HeadClient({ base: 'http://head:1', token: 't', transport });
  const created = await client.createBatch({ name: 'b' }, { replace: true });
  assert.equal(created.ok, false);
  assert.deepEqual(created.nodes, [fit]);
  assert.deepEqual(JSON.parse(sent[0].body!), { spec: { name: 'b' }, replace: true });
  const retried = await client.retryBatch('b', { failedOnly: true });
  assert.deepEqual(retried.missing?.map((m) => m.alias), ['in.txt']);
});
