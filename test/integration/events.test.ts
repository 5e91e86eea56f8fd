/**
 * The user event stream against a real head process: a user receives `batch-ended` for their own
 * batches only, the admin for all; the stream needs a user token; the tray's follower
 * reconnects after the head restarts and notifies through the notification rule.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { decodeUserEvent, type UserEvent } from '../../shared/protocol/events.ts';
import { followHeadEvents, startBatchNotifications, takeSseEvents, type StreamState } from '../../electron/main/head-events.ts';
import { cli, startAgentProc, startHeadProc, stop, tempDir, waitFor, type HeadProc, type Proc } from '../helpers/cluster.ts';
import { untilHead } from '../helpers/head-watch.ts';
import { addUser, envFor, writeShellConfig } from './shell-batches.ts';

let head: HeadProc;
let agent: Proc;
const dataDir = tempDir('ev-head');

before(async () => {
  head = await startHeadProc(dataDir, { nodeTimeout: '2s' });
  agent = startAgentProc(head, 'ev-node', tempDir('ev-node'));
  await untilHead(head, (v) => v.nodes.some((n) => n.state === 'idle'), `the agent to connect:\n${agent.output()}`);
});

after(async () => {
  await stop(agent);
  await stop(head);
});

/** Raw SSE reader collecting decoded events. */
function listen(token: string): { events: UserEvent[]; status: Promise<number>; close: () => void } {
  const events: UserEvent[] = [];
  const ctl = new AbortController();
  const status = fetch(`${head.url}/api/events`, { headers: { authorization: `Bearer ${token}` }, signal: ctl.signal }).then(async (res) => {
    if (res.ok && res.body) {
      void (async () => {
        let buf = '';
        try {
          for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
            const split = takeSseEvents(buf + Buffer.from(chunk).toString('utf8'));
            buf = split.rest;
            for (const d of split.events) {
              const e = decodeUserEvent(d);
              if (e.ok && e.event) events.push(e.event);
            }
          }
        } catch { /* aborted */ }
      })();
    }
    return res.status;
  });
  return { events, status, close: () => ctl.abort() };
}

test('each user sees batch-ended for their own batches only; the admin sees all; agents and strangers are refused', async () => {
  const alice = await addUser(head, 'ev_alice');
  const bob = await addUser(head, 'ev_bob');
  const a = listen(alice);
  const b = listen(bob);
  const adm = listen(head.adminToken);
  assert.equal(await a.status, 200);
  assert.equal(await b.status, 200);
  assert.equal(await adm.status, 200);
  const agentToken = (await import('node:fs')).readFileSync(head.agentTokenFile, 'utf8').trim();
  assert.equal(await listen(agentToken).status, 403);
  assert.equal(await listen('not-a-token').status, 401);

  const cfg = writeShellConfig('evns', 'alice_batch', [{ name: 'ok', command: 'true' }, { name: 'bad', command: 'exit 2' }]);
  assert.equal((await cli(['add', cfg], envFor(head, alice))).code, 0);
  await waitFor(() => a.events.length >= 1 && adm.events.length >= 1, 30_000, () => 'no batch-ended event');
  assert.deepEqual({ ...a.events[0], batchId: 'x' }, {
    type: 'batch-ended', batchId: 'x', namespace: 'evns', batch: 'alice_batch', owner: 'ev_alice', outcome: 'finished', succeeded: 1, failed: 1, total: 2,
  });
  assert.equal(adm.events[0].batchId, a.events[0].batchId);

  const cfg2 = writeShellConfig('evns', 'bob_batch', [{ name: 'ok', command: 'true' }]);
  assert.equal((await cli(['add', cfg2], envFor(head, bob))).code, 0);
  await waitFor(() => b.events.length >= 1 && adm.events.length >= 2, 30_000, () => 'no second batch-ended event');
  assert.equal(b.events[0].type === 'batch-ended' && b.events[0].batch, 'bob_batch');
  assert.equal(a.events.length, 1, 'alice does not see bob\'s batch');
  assert.equal(b.events.length, 1, 'bob did not see alice\'s batch');
  for (const l of [a, b, adm]) l.close();
});

test('the tray follower notifies through the rule and reconnects after the head restarts', async () => {
  const erin = await addUser(head, 'ev_erin');
  const shown: string[] = [];
  const states: StreamState[] = [];
  const notified = new Set<string>();
  const follower = startBatchNotifications({
    headUrl: head.url, token: erin,
    context: () => ({ me: 'ev_erin', enabled: true, alreadyNotified: notified }),
    show: (title, message) => shown.push(`${title}: ${message}`),
    remember: (k) => notified.add(k),
    onState: (s) => states.push(s),
  });
  try {
    await waitFor(() => states.some((s) => s.state === 'connected'), 10_000, () => 'follower never connected');
    const cfg = writeShellConfig('evns', 'erin_one', [{ name: 'j', command: 'true' }]);
    assert.equal((await cli(['add', cfg], envFor(head, erin))).code, 0);
    await waitFor(() => shown.length === 1, 30_000, () => 'no notification');
    assert.equal(shown[0], 'Batch evns/erin_one finished: All 1 job succeeded.');

    // Restart the head on the same port and data folder: the follower comes back by itself.
    await stop(agent);
    await stop(head);
    await waitFor(() => states.some((s) => s.state === 'disconnected'), 10_000, () => 'follower did not notice the head going away');
    const connectedBefore = states.filter((s) => s.state === 'connected').length;
    head = await startHeadProc(dataDir, { nodeTimeout: '2s', port: head.port });
    // A fresh workdir has no node credential, so it joins under a name not enrolled yet.
    agent = startAgentProc(head, 'ev-node-2', tempDir('ev-node2'));
    await waitFor(() => states.filter((s) => s.state === 'connected').length > connectedBefore, 40_000, () => `no reconnect: ${JSON.stringify(states)}`);
    await untilHead(head, (v) => v.nodes.some((n) => n.state === 'idle'), 'the agent to reconnect');
    const cfg2 = writeShellConfig('evns', 'erin_two', [{ name: 'j', command: 'exit 1' }]);
    assert.equal((await cli(['add', cfg2], envFor(head, erin))).code, 0);
    await waitFor(() => shown.length === 2, 30_000, () => `no second notification: ${shown}`);
    assert.match(shown[1], /^Batch evns\/erin_two finished with failures: 0 of 1 job succeeded, 1 failed\.$/);
  } finally {
    follower.close();
  }
});

test('followHeadEvents reports a refused token as a disconnect and keeps retrying until closed', async () => {
  const states: StreamState[] = [];
  const f = followHeadEvents({ headUrl: head.url, token: 'wrong', onEvent: () => assert.fail('no events for a bad token'), onState: (s) => states.push(s) });
  await waitFor(() => states.length >= 2, 10_000, () => `states: ${JSON.stringify(states)}`);
  f.close();
  assert.ok(states.every((s) => s.state === 'disconnected' && s.reason === 'invalid token'), JSON.stringify(states));
});
