/**
 * Per-node credentials (issue 12): the shared agent token only enrolls. A real head and real agent
 * processes; the impostor is a hostile WebSocket client holding the enrollment token, as every
 * workstation does.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { AGENT_WS_PATH, CloseCode, PROTOCOL_VERSION } from '../../shared/protocol/index.ts';
import { routes } from '../../shared/api/routes.ts';
import { api, cli, startAgentProc, startHeadProc, stop, tempDir, waitBatchEnded, waitFor, type HeadProc, type Proc } from '../helpers/cluster.ts';
import { addBatch, envFor, writeShellBatch } from '../helpers/shell-batch.ts';

let head: HeadProc;
let agent: Proc;
const workdir = tempDir('cred-a');
const dir = tempDir('cred-cfg');

before(async () => {
  head = await startHeadProc(tempDir('cred-head'));
  agent = startAgentProc(head, 'cred-a', workdir);
  await waitFor(async () => (await api(head, routes.nodes())).body.nodes?.some((n: any) => n.name === 'cred-a' && n.state === 'idle'), 60_000, () => `agent did not join:\n${agent.output()}`);
});

after(async () => {
  await stop(agent);
  await stop(head);
});

const enrollmentToken = () => fs.readFileSync(head.agentTokenFile, 'utf8').trim();
const credentialFile = path.join(workdir, 'node-credential.json');

/** Open an agent socket with `token`, send a hello as `name`, and resolve with the first message or the close. */
function helloAs(token: string, name: string, extra: string[] = []): Promise<{ message?: any; code?: number; reason?: string; ws: WebSocket }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(head.url.replace('http', 'ws') + AGENT_WS_PATH, { headers: { authorization: `Bearer ${token}` } });
    ws.on('open', () => {
      ws.send(JSON.stringify({
        type: 'hello', protocol: PROTOCOL_VERSION, agentVersion: 'x', name, held: [], built: [],
        capabilities: { tags: [], physicalCores: 1, logicalCores: 1, memoryBytes: 1, gpus: [] },
      }));
      for (const m of extra) ws.send(m);
    });
    ws.once('message', (raw) => resolve({ message: JSON.parse(raw.toString()), ws }));
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString(), ws }));
    ws.on('error', reject);
  });
}

async function nodeView(name: string): Promise<any> {
  return (await api(head, routes.nodes())).body.nodes.find((n: any) => n.name === name);
}

/** A node's view without `lastSeen`, which every heartbeat moves. */
const steady = ({ lastSeen: _seen, ...rest }: any) => rest;

test('an agent enrolls with the shared token and then holds its own credential (0600; only its hash on the head)', async () => {
  // The agent writes it right after the welcome, which made it idle.
  await waitFor(() => fs.existsSync(credentialFile), 30_000, () => agent.output());
  const stat = fs.statSync(credentialFile);
  assert.equal(stat.mode & 0o777, 0o600);
  const stored = JSON.parse(fs.readFileSync(credentialFile, 'utf8'));
  assert.equal(stored.name, 'cred-a');
  assert.match(stored.credential, /^nod_/);
  assert.notEqual(stored.credential, enrollmentToken());
  const meta = fs.readFileSync(path.join(head.dataDir, 'state', 'meta.json'), 'utf8');
  assert.ok(!meta.includes(stored.credential), 'the head stores no credential in clear');
  assert.equal(JSON.parse(meta).credentials.filter((c: any) => c.name === 'cred-a').length, 1);
  // The credential is the node's key over HTTP too; the enrollment token opens nothing there.
  const asNode = await fetch(head.url + routes.agentInput('0'.repeat(64)), { headers: { authorization: `Bearer ${stored.credential}` } });
  assert.equal(asNode.status, 404);
  const asEnroll = await fetch(head.url + routes.agentInput('0'.repeat(64)), { headers: { authorization: `Bearer ${enrollmentToken()}` } });
  assert.equal(asEnroll.status, 403);
  assert.match((await asEnroll.json()).error, /enrollment token may only enroll/);
  assert.equal((await api(head, routes.status(), { token: enrollmentToken() })).status, 403);
});

test('an impostor with the enrollment token and an enrolled name changes nothing', async () => {
  const before = await nodeView('cred-a');
  const impostor = await helloAs(enrollmentToken(), 'cred-a');
  assert.equal(impostor.code, CloseCode.nameTaken);
  assert.match(impostor.reason!, /enrolled already/);
  // A credential only speaks for its own node.
  const credential = JSON.parse(fs.readFileSync(credentialFile, 'utf8')).credential;
  const other = await helloAs(credential, 'cred-b');
  assert.equal(other.code, CloseCode.unauthorized);
  assert.match(other.reason!, /belongs to node 'cred-a'/);
  const afterwards = await nodeView('cred-a');
  assert.deepEqual(steady(afterwards), steady(before), 'the real node is untouched');
  assert.equal(afterwards.state, 'idle');
  assert.doesNotMatch(agent.output(), /disconnected/);
  assert.match(head.output(), /refused enrollment of node cred-a/);
  // And it still runs work.
  const cfg = writeShellBatch(dir, { name: 'after-impostor', jobs: [{ name: 'j', command: 'echo fine' }] });
  await addBatch(head, cfg);
  const ended = await waitBatchEnded(head, 'ft/after-impostor');
  assert.equal(ended.jobs[0].outcome, 'succeeded');
});

test('rotating the enrollment token locks out the old one; enrolled nodes keep working', async () => {
  const old = enrollmentToken();
  const r = await cli(['token', 'rotate-enrollment', '--json'], envFor(head));
  assert.equal(r.code, 0, r.stderr);
  const fresh = JSON.parse(r.stdout).token;
  assert.equal(enrollmentToken(), fresh);
  assert.equal(fs.statSync(head.agentTokenFile).mode & 0o777, 0o600);
  const refused = await helloAs(old, 'cred-new');
  assert.equal(refused.code, CloseCode.unauthorized);
  // A restarted enrolled agent still joins: it uses its credential, not the (stale) token file copy.
  const staleTokenFile = path.join(dir, 'old-token');
  fs.writeFileSync(staleTokenFile, old);
  await stop(agent);
  agent = startAgentProc({ url: head.url, agentTokenFile: staleTokenFile }, 'cred-a', workdir);
  await waitFor(async () => (await nodeView('cred-a'))?.state === 'idle', 60_000, () => `enrolled agent did not come back:\n${agent.output()}`);
  const welcomed = await helloAs(fresh, 'cred-new');
  assert.equal(welcomed.message?.type, 'welcome');
  assert.match(welcomed.message.credential, /^nod_/);
  welcomed.ws.close();
});

test('nodes rm revokes a connected node: it is cut off, forgotten, and its name can be enrolled again', async () => {
  const r = await cli(['nodes', 'rm', 'cred-a'], envFor(head));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /node 'cred-a' removed/);
  assert.equal(await nodeView('cred-a'), undefined);
  await waitFor(() => /the head admin removed this node/.test(agent.output()), 30_000, () => agent.output());
  await waitFor(() => !fs.existsSync(credentialFile), 30_000, () => 'credential file kept');
  const meta = JSON.parse(fs.readFileSync(path.join(head.dataDir, 'state', 'meta.json'), 'utf8'));
  assert.ok(!meta.credentials.some((c: any) => c.name === 'cred-a'));
  assert.ok(!meta.nodes.some((n: any) => n.name === 'cred-a'));
  // Not an admin: refused. Unknown node: 404 → exit 1.
  const missing = await cli(['nodes', 'rm', 'cred-a'], envFor(head));
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no node 'cred-a'/);
  // The removed agent stays offline; started again it enrolls anew (with the current token).
  await stop(agent);
  agent = startAgentProc(head, 'cred-a', workdir);
  await waitFor(async () => (await nodeView('cred-a'))?.state === 'idle', 60_000, () => `agent did not enroll again:\n${agent.output()}`);
  await waitFor(() => fs.existsSync(credentialFile), 30_000, () => agent.output());
});

test('a node offline past --forget-nodes-after is forgotten; back again it enrolls anew', async () => {
  const h2 = await startHeadProc(tempDir('cred-forget'), { extra: ['--forget-nodes-after', '3s'] });
  const wd = tempDir('cred-forget-agent');
  let a = startAgentProc(h2, 'cred-old', wd);
  try {
    const view = async () => (await api(h2, routes.nodes())).body.nodes.find((n: any) => n.name === 'cred-old');
    await waitFor(async () => (await view())?.state === 'idle' && fs.existsSync(path.join(wd, 'node-credential.json')), 60_000, () => a.output());
    const oldCredential = JSON.parse(fs.readFileSync(path.join(wd, 'node-credential.json'), 'utf8')).credential;
    await stop(a);
    await waitFor(async () => (await view()) === undefined, 60_000, () => 'offline node never forgotten');
    await waitFor(() => /node cred-old removed: offline for more than/.test(h2.output()), 30_000, () => h2.output());
    a = startAgentProc(h2, 'cred-old', wd);
    await waitFor(() => /enrolled as node 'cred-old'/.test(a.output()), 30_000, () => a.output());
    assert.match(a.output(), /does not know this node's credential any more/);
    assert.equal((await view())?.state, 'idle');
    const newCredential = JSON.parse(fs.readFileSync(path.join(wd, 'node-credential.json'), 'utf8')).credential;
    assert.notEqual(newCredential, oldCredential);
  } finally {
    await stop(a);
    await stop(h2);
  }
});
