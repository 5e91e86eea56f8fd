/**
 * Generated protocol fuzz set (issue 12): 120 seeded hostile agent messages, half as the first
 * message of a socket (a broken or hostile hello, with the enrollment token) and half after a real
 * enrolled node's welcome (with its credential). Each must be refused by the shared decoder and
 * make a real head close the socket with `badMessage`; afterwards the head still answers, knows
 * only the one real node, and logged no handler crash.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { AGENT_WS_PATH, CloseCode, PROTOCOL_VERSION, decodeAgentMessage } from '../../shared/protocol/index.ts';
import { routes } from '../../shared/api/routes.ts';
import { api, startHeadProc, stop, tempDir, type HeadProc } from '../helpers/cluster.ts';
import { HOSTILE_LABELS, HOSTILE_STRINGS, Rng } from './fuzz-rng.ts';

const SEED = 4003;
const COUNT = 120;
let head: HeadProc;
let credential: string;

const caps = () => ({ tags: ['python3'], physicalCores: 2, logicalCores: 4, memoryBytes: 1e9, gpus: [] });
const hello = (name = 'fuzz-node') => ({ type: 'hello', protocol: PROTOCOL_VERSION, agentVersion: 'x', name, held: [], built: [], capabilities: caps() });
const RUN = 'run-id-00000001';

/** Open a socket; with `greet`, say a valid hello and wait for the welcome first. */
function open(token: string, greet: boolean): Promise<{ ws: WebSocket; welcome: any; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(head.url.replace('http', 'ws') + AGENT_WS_PATH, { headers: { authorization: `Bearer ${token}` } });
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    ws.on('error', reject);
    ws.on('open', () => {
      if (!greet) return resolve({ ws, welcome: null, closed });
      ws.send(JSON.stringify(hello()));
      ws.once('message', (raw) => resolve({ ws, welcome: JSON.parse(raw.toString()), closed }));
    });
  });
}

function badHello(rng: Rng, n: number): string {
  const h: Record<string, unknown> = hello(`fuzz-${n}`);
  switch (rng.int(9)) {
    case 0: h.name = HOSTILE_STRINGS[rng.int(HOSTILE_STRINGS.length)]; break;
    case 1: h.owner = HOSTILE_STRINGS[rng.int(HOSTILE_LABELS)]; break;
    case 2: h.capabilities = { ...caps(), tags: [HOSTILE_STRINGS[rng.int(HOSTILE_LABELS)]] }; break;
    case 3: h.capabilities = { ...caps(), tags: Array.from({ length: 65 + rng.int(1000) }, (_, i) => `t${i}`) }; break;
    case 4: h.protocol = rng.pick(['2', null, 2.5, []]); break;
    case 5: delete h[rng.pick(['name', 'capabilities', 'held', 'built', 'agentVersion'])]; break;
    case 6: h.held = [{ runId: rng.pick(['', 'short', '../../x', 'a'.repeat(65)]), state: 'running' }]; break;
    case 7: return rng.pick(['not json', '[]', '42', 'null', '{"type":"hello"', JSON.stringify([hello()])]);
    default: h.capabilities = { ...caps(), physicalCores: rng.pick([-1, 1.5, 'many', null]) };
  }
  return JSON.stringify(h);
}

function badMessage(rng: Rng): string {
  const runId = rng.pick(['', 'x', '../../../etc', 'a'.repeat(65), 'bad id with spaces', 42]);
  const options: (() => unknown)[] = [
    () => ({ type: rng.pick(['launch', 'HELLO', '', 'job_finished', 'welcome', 'assign']) }),
    () => ({ type: 'job-started', runId }),
    () => ({ type: 'job-log', runId: RUN, stream: rng.pick(['stdin', 'STDOUT', '', 3]), data: 'x' }),
    () => ({ type: 'job-log', runId: RUN, stream: 'stdout', data: rng.pick([null, 5, ['a'], { a: 1 }]) }),
    () => ({ type: 'job-finished', runId: RUN, result: { outcome: rng.pick(['exploded', 'succeeded']), exitCode: 3 }, startedAt: 0, endedAt: 1, runMs: 1, files: [] }),
    () => ({ type: 'job-finished', runId: RUN, result: { outcome: 'failed', exitCode: 1 }, startedAt: 0, endedAt: 1, runMs: -rng.int(100) - 1, files: [] }),
    () => ({ type: 'job-finished', runId: RUN, result: { outcome: 'failed', exitCode: 1 }, startedAt: 0, endedAt: 1, runMs: 1, files: [{ path: 'a', size: 1, sha256: rng.pick(['', 'A'.repeat(64), 'g'.repeat(64), '0'.repeat(63)]) }] }),
    () => ({ type: 'job-finished', runId: RUN, result: { outcome: 'failed', exitCode: 1 }, startedAt: 0, endedAt: 1, runMs: 1, files: [], skipped: Array.from({ length: 1001 }, () => 'x') }),
    () => ({ type: 'job-paused', runId: RUN, until: rng.pick(['soon', [], {}]) }),
    () => ({ type: 'node-paused', until: rng.pick(['forever', true]) }),
    () => ({ type: 'heartbeat', at: rng.pick(['now', null, [], {}]) }),
    () => ({ type: 'job-rejected', runId, reason: 'x' }),
    () => hello(),
    () => rng.pick(['garbage', '{', '"string"', 'true', '[{"type":"heartbeat","at":1}]']),
  ];
  const m = rng.pick(options)();
  return typeof m === 'string' ? m : JSON.stringify(m);
}

before(async () => {
  head = await startHeadProc(tempDir('fuzz-proto'));
  const enroll = await open(fs.readFileSync(head.agentTokenFile, 'utf8').trim(), true);
  credential = enroll.welcome.credential;
  assert.match(credential, /^nod_/);
  enroll.ws.close();
  await enroll.closed;
});

after(async () => {
  await stop(head);
});

test(`${COUNT} generated protocol messages (seed ${SEED}): 0 crashes, 0 wrongly accepted`, async () => {
  const rng = new Rng(SEED);
  const enrollment = fs.readFileSync(head.agentTokenFile, 'utf8').trim();
  const wrong: string[] = [];
  for (let n = 0; n < COUNT; n++) {
    const first = n % 2 === 0;
    const raw = first ? badHello(rng, n) : badMessage(rng);
    // The hello is the first message: a valid-looking hello later is "hello sent twice".
    const local = decodeAgentMessage(raw);
    const hello2 = !first && local.ok && local.message.type === 'hello';
    if (local.ok && !hello2) wrong.push(`#${n}: the decoder accepts ${raw.slice(0, 120)}`);
    const s = await open(first ? enrollment : credential, !first);
    if (!first && s.welcome?.type !== 'welcome') wrong.push(`#${n}: no welcome: ${JSON.stringify(s.welcome)}`);
    s.ws.send(raw);
    const code = await Promise.race([s.closed, new Promise<number>((r) => setTimeout(() => r(-1), 10_000))]);
    if (code !== CloseCode.badMessage) wrong.push(`#${n}: closed with ${code}, not badMessage, after ${raw.slice(0, 120)}`);
    if (code === -1) s.ws.terminate();
  }
  assert.deepEqual(wrong, []);
  assert.equal((await api(head, routes.health())).status, 200);
  const nodes = (await api(head, routes.nodes())).body.nodes.map((x: any) => x.name);
  assert.deepEqual(nodes, ['fuzz-node'], 'no fuzz hello registered a node');
  assert.doesNotMatch(head.output(), /failed: .*Error|TypeError|RangeError|at .*\.ts:\d+/);
  assert.equal(head.child.exitCode, null, 'the head is still running');
});
