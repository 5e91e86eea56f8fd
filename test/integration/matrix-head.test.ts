/**
 * Matrix wiring through a real head process (`distribute server --matrix-config`): a batch that
 * ends makes the head message the batch's `meta.matrix` user on the stand-in homeserver (also for
 * a build that failed); a homeserver answering 500 or being down does not disturb the head: the
 * batch still completes, the error is logged, and the message arrives once the server is back.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startMatrixHomeserver, type StandInHomeserver } from '../fixtures/matrix-homeserver.ts';
import { cli, startAgentProc, startHeadProc, stop, tempDir, waitBatchEnded, waitFor, type HeadProc, type Proc } from '../helpers/cluster.ts';
import { untilHead } from '../helpers/head-watch.ts';
import { envFor, writeShellConfig } from './shell-batches.ts';

const BOT = '@distribute:test.local';
const ALICE = '@alice:test.local';
let hs: StandInHomeserver;
let head: HeadProc;
let agent: Proc;

before(async () => {
  hs = await startMatrixHomeserver({ users: [{ userId: BOT, password: 'bot-secret' }, { userId: ALICE, password: 'alice-secret' }] });
  const dir = tempDir('mx');
  const cfg = path.join(dir, 'matrix.yaml');
  fs.writeFileSync(cfg, `homeserver: ${hs.url}\nuser_id: "${BOT}"\npassword: bot-secret\n`);
  head = await startHeadProc(tempDir('mx-head'), { nodeTimeout: '2s', extra: ['--matrix-config', cfg] });
  agent = startAgentProc(head, 'mx-node', tempDir('mx-node'));
  await untilHead(head, (v) => v.nodes.some((n) => n.state === 'idle'), `the agent to connect:\n${agent.output()}`);
});

after(async () => {
  await stop(agent);
  await stop(head);
  await hs.close();
});

/** Messages the bot sent to rooms alice is in, as plain bodies. */
function messagesToAlice(): string[] {
  return [...hs.rooms.values()]
    .filter((r) => r.invited.has(ALICE) || r.joined.has(ALICE))
    .flatMap((r) => r.events.filter((e) => e.type === 'm.room.message' && e.sender === BOT).map((e) => String(e.content.body)));
}

test('a finished batch and a failed build are each reported to the meta.matrix user', async () => {
  await waitFor(() => /matrix: notifications as @distribute:test.local/.test(head.output()), 10_000, () => `no credentials check:\n${head.output()}`);
  const cfg = writeShellConfig('mx', 'mx_ok', [{ name: 'a', command: 'true' }, { name: 'b', command: 'exit 2' }], { matrix: ALICE });
  assert.equal((await cli(['add', cfg], envFor(head))).code, 0);
  await waitBatchEnded(head, 'mx/mx_ok', 30_000);
  await waitFor(() => messagesToAlice().some((m) => m.includes('mx_ok')), 15_000, () => `no message; requests: ${hs.requests.map((r) => `${r.method} ${r.path} ${r.status}`).join('\n')}`);
  const msg = messagesToAlice().find((m) => m.includes('mx_ok'))!;
  assert.match(msg, /1 succeeded/);
  assert.match(msg, /1 failed/);
  assert.match(msg, /distribute pull --batch mx\/mx_ok/);
  const room = [...hs.rooms.values()].find((r) => r.invited.has(ALICE))!;
  assert.equal(room.isDirect, true);
  assert.ok(hs.requests.some((r) => r.method === 'POST' && r.path.endsWith('/login') && r.status === 200));

  const broken = writeShellConfig('mx', 'mx_build', [{ name: 'a', command: 'true' }], { matrix: ALICE, build: 'echo no compiler >&2; exit 1' });
  assert.equal((await cli(['add', broken], envFor(head))).code, 0);
  const ended = await waitBatchEnded(head, 'mx/mx_build', 30_000);
  assert.equal(ended.outcome, 'build-failed');
  await waitFor(() => messagesToAlice().some((m) => m.includes('mx_build')), 15_000, () => `no build-failure message:\n${head.output()}`);
  assert.match(messagesToAlice().find((m) => m.includes('mx_build'))!, /build/i);
  assert.equal(new Set([...hs.rooms.values()].filter((r) => r.invited.has(ALICE)).map((r) => r.roomId)).size, 1, 'the direct room is reused');
});

test('a homeserver answering 500 does not stop the batch; the error is logged and the message retried', async () => {
  hs.failNext(1, { status: 500, only: /\/send\// });
  const cfg = writeShellConfig('mx', 'mx_500', [{ name: 'a', command: 'true' }], { matrix: ALICE });
  assert.equal((await cli(['add', cfg], envFor(head))).code, 0);
  const ended = await waitBatchEnded(head, 'mx/mx_500', 30_000);
  assert.equal(ended.counts.succeeded, 1);
  await waitFor(() => /matrix: telling @alice:test.local about .*mx_500.* failed/.test(head.output()), 10_000, () => `no logged error:\n${head.output()}`);
  await waitFor(() => messagesToAlice().some((m) => m.includes('mx_500')), 15_000, () => `not retried:\n${head.output()}`);
  assert.equal(messagesToAlice().filter((m) => m.includes('mx_500')).length, 1, 'sent once');
});

test('a homeserver that is down does not stop the head; the message arrives when it is back', async () => {
  await hs.down();
  const cfg = writeShellConfig('mx', 'mx_down', [{ name: 'a', command: 'true' }, { name: 'b', command: 'true' }], { matrix: ALICE });
  assert.equal((await cli(['add', cfg], envFor(head))).code, 0);
  const ended = await waitBatchEnded(head, 'mx/mx_down', 30_000);
  assert.equal(ended.counts.succeeded, 2);
  await waitFor(() => /matrix: telling @alice:test.local about .*mx_down.* failed/.test(head.output()), 10_000, () => `no logged error:\n${head.output()}`);
  // The head keeps serving and scheduling while Matrix is unreachable.
  const next = writeShellConfig('mx', 'mx_after', [{ name: 'a', command: 'true' }]);
  assert.equal((await cli(['add', next], envFor(head))).code, 0);
  assert.equal((await waitBatchEnded(head, 'mx/mx_after', 30_000)).counts.succeeded, 1);
  assert.equal(head.child.exitCode, null, 'the head is still running');
  await hs.up();
  await waitFor(() => messagesToAlice().some((m) => m.includes('mx_down')), 20_000, () => `not delivered after the server came back:\n${head.output()}`);
});
