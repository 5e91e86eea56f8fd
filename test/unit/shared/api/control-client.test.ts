import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ControlClient } from '../../../../shared/api/control-client.ts';
import { fakeTransport, node } from './fake-transport.ts';

test('the control client reads the agent\'s state against its schema', async () => {
  const state = { name: 'n1', headUrl: 'http://head:1', connection: 'connected', capabilities: node.capabilities, current: null, pause: null, recent: [], now: 5, maxPauseMs: 1000 };
  const { transport, sent } = fakeTransport({ 'POST /api/pause': { status: 200, body: state }, 'POST /api/resume': { status: 200, body: { ...state, now: 'soon' } } });
  const agent = new ControlClient({ port: 8953, token: 'ctl', transport });
  const paused = await agent.pause('1h');
  assert.ok(paused.ok);
  assert.equal(paused.value.now, 5);
  assert.deepEqual(JSON.parse(sent[0].body!), { duration: '1h' });
  assert.equal(sent[0].headers.authorization, 'Bearer ctl');
  const resumed = await agent.resume();
  assert.match(!resumed.ok ? resumed.error.message : '', /^the agent sent a state the client refuses: now: /);
});
