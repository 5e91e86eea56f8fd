/**
 * Issue 12, privacy: a batch's jobs, logs and files are readable by its owner and admins only,
 * unless its config says `meta.share: lab`. Real head, real agent, two users: bob cannot see,
 * pull, read or follow alice's private batch (it answers 404 like a batch that does not exist and
 * status lists none of it), but can read and pull her shared one (and still not kill it).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { routes } from '../../shared/api/routes.ts';
import { api, cli, listFiles, startAgentProc, startHeadProc, stop, tempDir, waitBatchEnded, waitFor, type HeadProc, type Proc } from '../helpers/cluster.ts';
import { addUser, envFor, writeShellConfig } from '../integration/shell-batches.ts';

let head: HeadProc;
let agent: Proc;
let alice: string;
let bob: string;

/** A shell config with `share:` added to its meta. */
function withShare(file: string, share: string): string {
  const text = fs.readFileSync(file, 'utf8').replace('  capabilities: []', `  capabilities: []\n  share: ${share}`);
  fs.writeFileSync(file, text);
  return file;
}

before(async () => {
  head = await startHeadProc(tempDir('privacy-head'));
  agent = startAgentProc(head, 'privacy-node', tempDir('privacy-node'));
  await waitFor(async () => (await api(head, routes.nodes())).body.nodes?.some((n: { state: string }) => n.state === 'idle'), 20_000, () => `agent did not connect:\n${agent.output()}`);
  alice = await addUser(head, 'alice');
  bob = await addUser(head, 'bob');
  const priv = writeShellConfig('alice-ns', 'secret', [{ name: 'j1', command: 'mkdir -p distribute_save && echo classified > distribute_save/out.txt && echo private-log' }]);
  const shared = withShare(writeShellConfig('alice-ns', 'open', [{ name: 'j1', command: 'mkdir -p distribute_save && echo for-all > distribute_save/out.txt && echo shared-log' }]), 'lab');
  for (const cfg of [priv, shared]) {
    const added = await cli(['add', cfg], envFor(head, alice));
    assert.equal(added.code, 0, added.stderr);
  }
  await waitBatchEnded(head, 'alice-ns/secret');
  await waitBatchEnded(head, 'alice-ns/open');
});

after(async () => {
  await stop(agent);
  await stop(head);
});

test('bob cannot read, pull or follow alice\'s private batch; it looks like no batch at all', async () => {
  const asBob = { token: bob };
  for (const ref of ['alice-ns/secret', 'secret']) {
    for (const p of [routes.batch(ref), routes.batchManifest(ref), routes.batchFile(ref, 'j1', 'out.txt'), routes.jobLogs(ref, 'j1'), `${routes.jobLogs(ref, 'j1')}?follow=1`]) {
      const r = await api(head, p, asBob);
      assert.equal(r.status, 404, `${p} as bob: ${r.status} ${JSON.stringify(r.body)}`);
      assert.doesNotMatch(JSON.stringify(r.body), /classified|private-log|belongs|owner/);
    }
  }
  const id = (await api(head, routes.batch('alice-ns/secret'), { token: alice })).body.id as string;
  assert.equal((await api(head, routes.batchManifest(id), asBob)).status, 404, 'not by id either');
  assert.equal((await api(head, routes.batchKill(id), { method: 'POST', body: {}, token: bob })).status, 404);
  assert.equal((await api(head, routes.batchArchive(id), { method: 'DELETE', token: bob })).status, 404);

  const out = tempDir('bob-out');
  const pulled = await cli(['pull', '--batch', 'alice-ns/secret', '--out', out], envFor(head, bob));
  assert.equal(pulled.code, 1, pulled.stderr);
  assert.match(pulled.stderr, /no batch 'alice-ns\/secret'/);
  assert.deepEqual(listFiles(out), []);
  const logs = await cli(['logs', 'alice-ns/secret', 'j1'], envFor(head, bob));
  assert.equal(logs.code, 1);
  assert.doesNotMatch(logs.stdout, /private-log/);

  const status = await api(head, routes.status(), asBob);
  assert.deepEqual(status.body.batches.map((b: { name: string }) => b.name), ['open'], 'bob sees only the shared batch');
  assert.ok(!('alice-ns' in status.body.disk) || status.body.batches.length > 0);
  const statusCli = await cli(['status'], envFor(head, bob));
  assert.doesNotMatch(statusCli.stdout, /secret/);
});

test('alice and the admin read the private batch; bob\'s sync pulls none of it', async () => {
  for (const token of [alice, head.adminToken]) {
    const r = await api(head, routes.batchFile('alice-ns/secret', 'j1', 'out.txt'), { token });
    assert.equal(r.status, 200);
    assert.equal(String(r.body).trim(), 'classified');
  }
  const adminStatus = await api(head, routes.status());
  assert.deepEqual(adminStatus.body.batches.map((b: { name: string }) => b.name).sort(), ['open', 'secret']);
  const out = tempDir('bob-sync');
  const synced = await cli(['sync', '--out', out, '--json'], envFor(head, bob));
  assert.equal(synced.code, 0, synced.stderr);
  assert.deepEqual(listFiles(out), [], 'sync pulls only the user\'s own batches');
});

test('meta.share: lab opens reads to every user, not changes', async () => {
  const out = tempDir('bob-shared');
  const pulled = await cli(['pull', '--batch', 'alice-ns/open', '--out', out, '--json'], envFor(head, bob));
  assert.equal(pulled.code, 0, pulled.stderr);
  assert.equal(fs.readFileSync(path.join(out, 'alice-ns/open/j1/out.txt'), 'utf8').trim(), 'for-all');
  const logs = await cli(['logs', 'alice-ns/open', 'j1'], envFor(head, bob));
  assert.equal(logs.code, 0, logs.stderr);
  assert.match(logs.stdout, /shared-log/);
  const kill = await api(head, routes.batchKill('alice-ns/open'), { method: 'POST', body: {}, token: bob });
  assert.equal(kill.status, 403, 'reading is shared, managing is not');
  const rm = await api(head, routes.batchArchive('alice-ns/open'), { method: 'DELETE', token: bob });
  assert.equal(rm.status, 403);
});

test('a config with an unknown share value is refused with its YAML path', async () => {
  const cfg = withShare(writeShellConfig('alice-ns', 'bad-share', [{ name: 'j1', command: 'true' }]), 'everyone');
  const r = await cli(['add', cfg, '--dry-run'], envFor(head, alice));
  assert.equal(r.code, 2);
  assert.match(r.stderr, /meta\.share.*expected private or lab, got 'everyone'/);
});
