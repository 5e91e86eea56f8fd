/**
 * The agent's WebSocket link (connection.ts) against a real WebSocket server on loopback that
 * plays the head, with a fake clock for every timer: reconnect backoff after a drop, the retry
 * after a refusal, heartbeats, a silent head dropped after its timeout, whenConnected, stop.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { AGENT_WS_PATH, CloseCode, PROTOCOL_VERSION, type AgentMessage, type Hello } from '../../../../shared/protocol/index.ts';
import { HeadConnection } from '../../../../electron/agent/connection.ts';
import type { AfterRefusal, LinkState } from '../../../../electron/agent/head-link.ts';
import { FakeClock } from '../../../helpers/fake-clock.ts';

const HELLO: Hello = {
  type: 'hello', protocol: PROTOCOL_VERSION, agentVersion: 'test', name: 'n', held: [], built: [],
  capabilities: { tags: [], physicalCores: 1, logicalCores: 1, memoryBytes: 0, gpus: [] },
};

/** A loopback WebSocket server that answers each hello with a welcome (unless told to stay mute). */
class FakeHead {
  readonly server: WebSocketServer;
  readonly sockets: WebSocket[] = [];
  readonly received: AgentMessage[] = [];
  readonly authorizations: string[] = [];
  welcome = true;

  constructor() {
    this.server = new WebSocketServer({ host: '127.0.0.1', port: 0, path: AGENT_WS_PATH });
    this.server.on('connection', (ws, req) => {
      this.sockets.push(ws);
      this.authorizations.push(req.headers.authorization ?? '');
      ws.on('message', (raw) => {
        const m = JSON.parse(raw.toString()) as AgentMessage;
        this.received.push(m);
        if (m.type === 'hello' && this.welcome) ws.send(JSON.stringify({ type: 'welcome', nodeId: 'n', heartbeatMs: 1000, timeoutMs: 4000, headVersion: 't' }));
      });
    });
  }

  async ready(): Promise<string> {
    if (!this.server.address()) await new Promise((r) => this.server.once('listening', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get last(): WebSocket {
    const ws = this.sockets.at(-1);
    if (!ws) throw new Error('no connection yet');
    return ws;
  }

  close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    return new Promise((r) => this.server.close(() => r()));
  }
}

/** Waits (real time: sockets) until `cond` holds. */
async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  assert.ok(cond(), `never happened: ${what}`);
}

function link(headUrl: string, clock: FakeClock, onClosed?: (code: number, reason: string) => AfterRefusal) {
  const states: LinkState[] = [];
  const logs: string[] = [];
  let token = 'tok-1';
  const conn = new HeadConnection({
    headUrl, clock, token: () => token, hello: async () => HELLO, onClosed, log: (l) => logs.push(l), random: () => 0.5,
  });
  conn.on('state', (s) => states.push(s));
  return { conn, states, logs, setToken: (t: string) => { token = t; } };
}

test('welcomed: connected, heartbeats on the clock; a drop reconnects after the backoff, not before', async () => {
  const head = new FakeHead();
  const clock = new FakeClock();
  const { conn, states } = link(await head.ready(), clock);
  try {
    conn.start();
    await until(() => conn.connected, 'connected');
    assert.deepEqual(states, ['connecting', 'connected']);
    assert.equal(head.received[0]?.type, 'hello');

    await clock.advance(1000);
    await until(() => head.received.some((m) => m.type === 'heartbeat'), 'a heartbeat');
    const beat = head.received.find((m) => m.type === 'heartbeat');
    assert.equal(beat?.type === 'heartbeat' ? beat.at : 0, clock.now(), 'stamped with the injected clock');

    head.last.terminate();
    await until(() => states.at(-1) === 'offline', 'offline');
    assert.equal(conn.connected, false);
    assert.equal(conn.send({ type: 'leaving' }), false, 'nothing is sent while offline');
    // After a good connection the backoff starts over: 250 ms (random 0.5: no jitter).
    assert.deepEqual(clock.delays(), [250]);
    await clock.advance(249);
    assert.equal(head.sockets.length, 1, 'not before the delay');
    await clock.advance(1);
    await until(() => conn.connected && head.sockets.length === 2, 'reconnected');
  } finally {
    conn.stop();
    await head.close();
  }
  assert.equal(clock.pending, 0, 'stop released every timer');
});

test('a head silent past its timeout is dropped and reconnected to', async () => {
  const head = new FakeHead();
  const clock = new FakeClock();
  const { conn, states, logs } = link(await head.ready(), clock);
  try {
    conn.start();
    await until(() => conn.connected, 'connected');
    // The head never answers the heartbeats: after 4 s of silence (timeoutMs) the link gives up.
    await clock.advance(4000);
    assert.equal(states.at(-1), 'connected', 'silent for exactly the timeout is still alive');
    await clock.advance(1000);
    await until(() => states.includes('offline'), 'dropped');
    assert.match(logs.join('\n'), /head silent for 5000 ms; reconnecting/);
    await clock.advance(250);
    await until(() => conn.connected && head.sockets.length === 2, 'reconnected');
  } finally {
    conn.stop();
    await head.close();
  }
});

test('refusals: unauthorized retries slowly (30 s) unless the owner says now, with the token of the moment; stop ends it', async () => {
  const head = new FakeHead();
  const clock = new FakeClock();
  let answer: AfterRefusal = 'default';
  const seen: number[] = [];
  const { conn, setToken } = link(await head.ready(), clock, (code) => { seen.push(code); return answer; });
  try {
    conn.start();
    await until(() => conn.connected, 'connected');
    head.last.close(CloseCode.unauthorized, 'who are you');
    await until(() => seen.length === 1, 'asked about the refusal');
    assert.deepEqual(seen, [CloseCode.unauthorized]);
    assert.deepEqual(clock.delays(), [30_000]);
    await clock.advance(30_000);
    await until(() => conn.connected && head.sockets.length === 2, 'retried after 30 s');

    answer = 'retry-now';
    setToken('tok-2');
    head.last.close(CloseCode.unauthorized, 'forgotten');
    await until(() => seen.length === 2, 'asked about the second refusal');
    assert.deepEqual(clock.delays(), [0]);
    await clock.advance(0);
    await until(() => conn.connected && head.sockets.length === 3, 'retried at once');
    assert.equal(head.authorizations.at(-1), 'Bearer tok-2');

    answer = 'stop';
    head.last.close(CloseCode.revoked, 'removed');
    await until(() => seen.length === 3, 'asked again');
    assert.equal(clock.pending, 0, 'no retry after stop');
  } finally {
    conn.stop();
    await head.close();
  }
});

test('whenConnected: true on the welcome, false after the timeout on the clock', async () => {
  const head = new FakeHead();
  const clock = new FakeClock();
  head.welcome = false;
  const { conn } = link(await head.ready(), clock);
  try {
    conn.start();
    await until(() => head.received.length === 1, 'hello received');
    let answer: boolean | null = null;
    void conn.whenConnected(5000).then((ok) => { answer = ok; });
    await clock.advance(4999);
    assert.equal(answer, null);
    await clock.advance(1);
    assert.equal(answer, false);

    let second: boolean | null = null;
    void conn.whenConnected(5000).then((ok) => { second = ok; });
    head.last.send(JSON.stringify({ type: 'welcome', nodeId: 'n', heartbeatMs: 1000, timeoutMs: 4000, headVersion: 't' }));
    await until(() => second !== null, 'resolved by the welcome');
    assert.equal(second, true);
  } finally {
    conn.stop();
    await head.close();
  }
});
