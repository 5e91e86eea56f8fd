/**
 * A lab upgrades in place: the head data folder and the agent workdir in test/fixtures/v0.1-lab
 * were written by distribute 0.1 (commit a24f390: one batch run on node `old-node`, shared agent
 * token, no node credentials). The current head and agent start on copies of them: the old batch
 * and node are still there, and the old node enrolls with the token it always had.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { routes } from '../../shared/api/routes.ts';
import { api, ROOT, startAgentProc, startHeadProc, stop, tempDir, waitBatchEnded, waitFor, type HeadProc, type Proc } from '../helpers/cluster.ts';
import { addBatch, writeShellBatch } from '../helpers/shell-batch.ts';

const lab = tempDir('upgrade');
let head: HeadProc;
let agent: Proc | null = null;

before(async () => {
  fs.cpSync(path.join(ROOT, 'test/fixtures/v0.1-lab'), lab, { recursive: true });
  // The fixture's node was last seen when it was made; keep it known whatever today's date is.
  head = await startHeadProc(path.join(lab, 'head'), { extra: ['--forget-nodes-after', '100000h'] });
});

after(async () => {
  if (agent) await stop(agent);
  await stop(head);
});

test('a 0.1 head data folder keeps its batch and node; the 0.1 agent workdir enrolls and runs jobs', async () => {
  const old = await api(head, routes.batch('lab/before-upgrade'));
  assert.equal(old.status, 200);
  assert.equal(old.body.phase, 'ended');
  assert.equal(old.body.jobs[0].outcome, 'succeeded');
  const nodes = (await api(head, routes.nodes())).body.nodes;
  assert.deepEqual(nodes.map((n: any) => [n.name, n.state]), [['old-node', 'offline']]);

  agent = startAgentProc({ url: head.url, agentTokenFile: path.join(lab, 'head', 'agent-token') }, 'old-node', path.join(lab, 'agent'));
  await waitFor(async () => (await api(head, routes.nodes())).body.nodes.some((n: any) => n.name === 'old-node' && n.state === 'idle'), 20_000, () => `old agent did not join:\n${agent!.output()}\n${head.output()}`);
  await waitFor(() => /enrolled as node 'old-node'/.test(agent!.output()), 10_000, () => agent!.output());
  const credential = path.join(lab, 'agent', 'node-credential.json');
  assert.equal(fs.statSync(credential).mode & 0o777, 0o600);
  const meta = JSON.parse(fs.readFileSync(path.join(lab, 'head', 'state', 'meta.json'), 'utf8'));
  assert.deepEqual(meta.credentials.map((c: any) => c.name), ['old-node']);

  const cfg = writeShellBatch(tempDir('upgrade-cfg'), { name: 'after-upgrade', namespace: 'lab', jobs: [{ name: 'j', command: 'echo upgraded > distribute_save/out.txt' }] });
  await addBatch(head, cfg);
  const ended = await waitBatchEnded(head, 'lab/after-upgrade');
  assert.equal(ended.jobs[0].outcome, 'succeeded');
  assert.equal(ended.jobs[0].node, 'old-node');
  assert.equal(fs.readFileSync(path.join(lab, 'head', 'archive', 'lab', 'before-upgrade', 'hello', 'out.txt'), 'utf8'), 'made by 0.1\n');
});
