/**
 * What `nodes` and the dashboard call a node: an agent that said it was leaving and disconnected is
 * `stopped` (also after the node timeout), one that went silent is `lost`; a refused remote
 * pause/resume names the action that was refused.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { HeadMessage } from '../../../../shared/protocol/messages.ts';
import { PROTOCOL_VERSION } from '../../../../shared/protocol/messages.ts';
import { Archive } from '../../../../head/archive/archive.ts';
import { Cluster, type AgentLink } from '../../../../head/core/cluster.ts';
import { nodeViews } from '../../../../head/core/views.ts';
import { LowdbStore } from '../../../../head/store/lowdb-store.ts';

const CAPS = { tags: [], physicalCores: 2, logicalCores: 2, memoryBytes: 2 ** 32, gpus: [] };
const link = (): AgentLink => ({ send: (_m: HeadMessage) => {}, close: () => {} });

test('a cleanly stopped agent is stopped, a silent one lost; refusals name pause or resume', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distribute-node-state-'));
  let now = 1_000_000;
  const archive = new Archive(dir);
  await archive.init();
  const cluster = new Cluster({ store: new LowdbStore(dir, 10), archive, nodeTimeoutMs: 10_000, heartbeatMs: 1000, now: () => now });
  await cluster.init();
  const links = { quit: link(), gone: link() };
  for (const [name, l] of Object.entries(links)) {
    cluster.registry.hello({ type: 'hello', protocol: PROTOCOL_VERSION, agentVersion: 'test', name, capabilities: CAPS, held: [], built: [], owner: 'olga' }, l);
  }
  const state = (name: string) => nodeViews(cluster).find((n) => n.name === name)?.state;
  assert.equal(state('quit'), 'idle');

  cluster.registry.leaving('quit');
  cluster.registry.disconnected('quit', links.quit);
  cluster.registry.disconnected('gone', links.gone);
  assert.equal(state('quit'), 'stopped');
  assert.equal(state('gone'), 'offline');
  for (let i = 0; i < 5; i++) {
    now += 4000;
    cluster.nodeLoss.checkTimeouts();
  }
  assert.equal(state('quit'), 'stopped', 'a clean stop is not a fault, also after the timeout');
  assert.equal(state('gone'), 'lost');

  const fresh = link();
  cluster.registry.hello({ type: 'hello', protocol: PROTOCOL_VERSION, agentVersion: 'test', name: 'quit', capabilities: CAPS, held: [], built: [], owner: 'olga' }, fresh);
  assert.equal(state('quit'), 'idle', 'connecting again clears the stop');

  const resume = cluster.registry.control({ kind: 'user', name: 'mallory' }, 'quit', { type: 'resume' });
  assert.ok(!resume.ok);
  assert.match(resume.error, /may resume it/);
  const pause = cluster.registry.control({ kind: 'user', name: 'mallory' }, 'quit', { type: 'pause', until: null });
  assert.ok(!pause.ok);
  assert.match(pause.error, /may pause it/);
  fs.rmSync(dir, { recursive: true, force: true });
});
