/**
 * `wait`, `sync` and `rm` against a real head and agent: wait's exit code follows the jobs'
 * outcomes; sync pulls only the caller's ended batches into DIR/<namespace>/<batch>/<job>/ and
 * transfers nothing the second time; rm needs --yes off a terminal and then deletes the archive;
 * inputs of ended batches are cleaned up on the head.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { api, cli, listFiles, startAgentProc, startHeadProc, stop, tempDir, waitBatchEnded, waitFor, type HeadProc, type Proc } from '../helpers/cluster.ts';
import { untilHead } from '../helpers/head-watch.ts';
import { addUser, envFor, writeShellConfig } from './shell-batches.ts';
import { HeadClient } from '../../shared/api/head-client.ts';
import { routes } from '../../shared/api/routes.ts';

let head: HeadProc;
let agent: Proc;

before(async () => {
  head = await startHeadProc(tempDir('head'), { nodeTimeout: '2s' });
  agent = startAgentProc(head, 'ws-node', tempDir('ws-node'));
  await untilHead(head, (v) => v.nodes.some((n) => n.state === 'idle'), `the agent to connect:\n${agent.output()}`);
});

after(async () => {
  await stop(agent);
  await stop(head);
});

test('wait is told the end by the head: with --interval 60 it returns as soon as the batch ends, not on its next poll', async () => {
  const cfg = writeShellConfig('ws', 'told', [{ name: 'slow', command: 'sleep 2' }]);
  assert.equal((await cli(['add', cfg], envFor(head))).code, 0);
  const started = Date.now();
  const waited = await cli(['wait', 'ws/told', '--interval', '60'], envFor(head));
  const took = Date.now() - started;
  assert.equal(waited.code, 0, waited.stderr);
  assert.match(waited.stdout, /ws\/told finished: 1\/1 done, 1 ok/);
  assert.ok(took < 45_000, `wait took ${took} ms: it waited for its next poll instead of the head's event`);
});

test('wait exits 0 when every job succeeded and 1 when one failed; it reports progress as plain lines', async () => {
  const okCfg = writeShellConfig('ws', 'all_ok', [
    { name: 'a', command: 'sleep 1; echo a > distribute_save/a.txt' },
    { name: 'b', command: 'echo b > distribute_save/b.txt' },
  ], { files: { 'in.txt': 'input of all_ok\n' } });
  assert.equal((await cli(['add', okCfg], envFor(head))).code, 0);
  const waited = await cli(['wait', 'ws/all_ok', '--interval', '0.2'], envFor(head));
  assert.equal(waited.code, 0, waited.stderr);
  assert.match(waited.stdout, /ws\/all_ok finished: 2\/2 done, 2 ok/);
  assert.match(waited.stderr, /ws\/all_ok: \d\/2 done/, 'plain progress lines when not a TTY');

  const badCfg = writeShellConfig('ws', 'one_fails', [
    { name: 'good', command: 'true' },
    { name: 'bad', command: 'exit 4' },
  ]);
  assert.equal((await cli(['add', badCfg], envFor(head))).code, 0);
  const bad = await cli(['wait', 'ws/one_fails', '--json', '--interval', '0.2'], envFor(head));
  assert.equal(bad.code, 1);
  const json = JSON.parse(bad.stdout);
  assert.equal(json.ok, false);
  assert.equal(json.counts.failed, 1);
  assert.equal(json.counts.succeeded, 1);
  assert.equal(json.jobs.length, 2, '--json shows every job, though the polls asked for the batch alone');
  // What wait polls: the batch without its jobs.
  const summary = await api(head, `${routes.batch('ws/one_fails')}?jobs=none`);
  assert.equal(summary.status, 200);
  assert.equal(summary.body.total, 2);
  assert.equal(summary.body.jobs, undefined);

  const missing = await cli(['wait', 'ws/no_such_batch'], envFor(head));
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no batch/);
  const unreachable = await cli(['wait', 'x'], { DISTRIBUTE_HEAD: 'http://127.0.0.1:1', DISTRIBUTE_TOKEN: 't' });
  assert.equal(unreachable.code, 3);

  // Inputs of ended batches are deleted from the head once no live batch needs them.
  await waitFor(() => fs.readdirSync(path.join(head.dataDir, 'inputs')).filter((n) => /^[0-9a-f]{64}$/.test(n)).length === 0, 5000,
    () => `inputs left: ${fs.readdirSync(path.join(head.dataDir, 'inputs'))}`);
});

test('sync pulls only my ended batches, skips identical files the second time, and brings back a deleted file', async () => {
  const alice = await addUser(head, 'alice');
  const bob = await addUser(head, 'bob');
  const mine = writeShellConfig('lab', 'alice_run', [
    { name: 'j1', command: 'mkdir -p distribute_save/sub && printf one > distribute_save/sub/x.txt' },
    { name: 'j2', command: 'printf two > distribute_save/y.txt' },
  ]);
  const theirs = writeShellConfig('lab', 'bob_run', [{ name: 'k', command: 'printf bob > distribute_save/z.txt' }]);
  assert.equal((await cli(['add', mine], envFor(head, alice))).code, 0);
  assert.equal((await cli(['add', theirs], envFor(head, bob))).code, 0);
  await waitBatchEnded(head, 'lab/alice_run', 30_000);
  await waitBatchEnded(head, 'lab/bob_run', 30_000);

  const out = tempDir('sync');
  const first = await cli(['sync', '--out', out, '--json'], envFor(head, alice));
  assert.equal(first.code, 0, first.stderr);
  const report = JSON.parse(first.stdout);
  assert.equal(report.user, 'alice');
  assert.deepEqual(report.batches.map((b: any) => `${b.namespace}/${b.batch}`), ['lab/alice_run']);
  assert.deepEqual(fs.readdirSync(out), ['lab']);
  assert.deepEqual(fs.readdirSync(path.join(out, 'lab')), ['alice_run']);
  assert.equal(fs.readFileSync(path.join(out, 'lab/alice_run/j1/sub/x.txt'), 'utf8'), 'one');
  assert.equal(fs.readFileSync(path.join(out, 'lab/alice_run/j2/y.txt'), 'utf8'), 'two');
  assert.ok(listFiles(path.join(out, 'lab/alice_run/j1')).includes('_distribute/result.json'));

  const second = JSON.parse((await cli(['sync', '--out', out, '--json'], envFor(head, alice))).stdout);
  assert.equal(second.pulled, 0, 'nothing transferred the second time');
  assert.equal(second.skipped, report.pulled);

  fs.rmSync(path.join(out, 'lab/alice_run/j2/y.txt'));
  const third = JSON.parse((await cli(['sync', '--out', out, '--json'], envFor(head, alice))).stdout);
  assert.equal(third.pulled, 1);
  assert.equal(fs.readFileSync(path.join(out, 'lab/alice_run/j2/y.txt'), 'utf8'), 'two');

  // The library function the tray calls, with the typed client the tray builds from its settings.
  const { syncResults } = await import('../../client/sync.ts');
  const viaTray = await syncResults({ client: new HeadClient({ base: head.url, token: bob }), out });
  assert.equal(viaTray.ok, true, viaTray.message);
  assert.equal(fs.readFileSync(path.join(out, 'lab/bob_run/k/z.txt'), 'utf8'), 'bob');
  const badToken = await syncResults({ client: new HeadClient({ base: head.url, token: 'nope' }), out });
  assert.equal(badToken.ok, false);
  assert.equal(badToken.failure?.kind, 'refused');
  assert.match(badToken.message, /invalid token/);
});

test('rm refuses without --yes off a terminal, refuses other users, and deletes the archive with --yes', async () => {
  const carol = await addUser(head, 'carol');
  const dave = await addUser(head, 'dave');
  const cfg = writeShellConfig('rmns', 'to_delete', [{ name: 'j', command: 'printf keep > distribute_save/f.txt' }]);
  assert.equal((await cli(['add', cfg], envFor(head, carol))).code, 0);
  await waitBatchEnded(head, 'rmns/to_delete', 30_000);
  const archived = path.join(head.dataDir, 'archive/rmns/to_delete/j/f.txt');
  assert.ok(fs.existsSync(archived));

  const noYes = await cli(['rm', 'rmns/to_delete'], envFor(head, carol));
  assert.equal(noYes.code, 2);
  assert.match(noYes.stderr, /without --yes/);
  assert.ok(fs.existsSync(archived));

  const notOwner = await cli(['rm', 'rmns/to_delete', '--yes'], envFor(head, dave));
  assert.equal(notOwner.code, 1);
  // carol's batch is private: to dave it does not exist (issue 12, privacy).
  assert.match(notOwner.stderr, /no batch 'rmns\/to_delete'/);
  assert.ok(fs.existsSync(archived));

  const removed = await cli(['rm', 'rmns/to_delete', '--yes'], envFor(head, carol));
  assert.equal(removed.code, 0, removed.stderr);
  assert.ok(!fs.existsSync(path.join(head.dataDir, 'archive/rmns/to_delete')));
  assert.equal((await api(head, '/api/batches/rmns%2Fto_delete')).status, 404);
});
