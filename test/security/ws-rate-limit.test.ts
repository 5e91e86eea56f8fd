/**
 * A node flooding the head with messages is cut off with the named close code `rateLimited`, the
 * head logs it, and the head goes on serving the other nodes.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { AGENT_WS_PATH, CloseCode, PROTOCOL_VERSION } from '../../shared/protocol/index.ts';
import { routes } from '../../shared/api/routes.ts';
import { api, startHeadProc, stop, tempDir, waitFor, type HeadProc } from '../helpers/cluster.ts';

let head: HeadProc;

before(async () => {
  head = await startHeadProc(tempDir('rate'), { extra: ['--ws-rate', '20'] });
});

after(async () => {
  await stop(head);
});

function connect(name: string): Promise<{ ws: WebSocket; closed: Promise<{ code: number; reason: string }> }> {
  const token = fs.readFileSync(head.agentTokenFile, 'utf8').trim();
  const ws = new WebSocket(head.url.replace('http', 'ws') + AGENT_WS_PATH, { headers: { authorization: `Bearer ${token}` } });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  return new Promise((resolve, reject) => {
    ws.on('open', () => ws.send(JSON.stringify({
      type: 'hello', protocol: PROTOCOL_VERSION, agentVersion: 'x', name, held: [], built: [],
      capabilities: { tags: [], physicalCores: 1, logicalCores: 1, memoryBytes: 1, gpus: [] },
    })));
    ws.once('message', () => resolve({ ws, closed }));
    ws.on('error', reject);
  });
}

test('a node sending more than --ws-rate messages per second is closed as rateLimited and logged', async () => {
  const calm = await connect('calm-node');
  const noisy = await connect('noisy-node');
  // Bursts of 5x the rate are allowed; 500 heartbeats at once are far over it.
  for (let i = 0; i < 500; i++) noisy.ws.send(JSON.stringify({ type: 'heartbeat', at: i }));
  const closed = await noisy.closed;
  assert.equal(closed.code, CloseCode.rateLimited);
  assert.match(closed.reason, /more than 20 messages per second/);
  await waitFor(() => /agent noisy-node from \S+: more than 20 messages per second \(burst 100\); closing/.test(head.output()), 5000, () => head.output());
  // The calm node is still served.
  const reply = new Promise<any>((resolve) => calm.ws.once('message', (raw) => resolve(JSON.parse(raw.toString()))));
  calm.ws.send(JSON.stringify({ type: 'heartbeat', at: 1 }));
  assert.equal((await reply).type, 'heartbeat');
  const nodes = (await api(head, routes.nodes())).body.nodes;
  assert.deepEqual(nodes.map((n: any) => [n.name, n.state]).sort(), [['calm-node', 'idle'], ['noisy-node', 'offline']]);
  calm.ws.close();
});
