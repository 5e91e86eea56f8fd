/**
 * The first whole slice: a head and two agents as separate processes run a python batch with a
 * build step and aliased per-job files; results and logs are pulled and compared byte for byte;
 * a failing job is reported failed with its exit code and its output is still archived.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { api, cli, listFiles, startAgentProc, startHeadProc, stop, tempDir, waitBatchEnded, waitFor, ROOT, type HeadProc, type Proc } from '../helpers/cluster.ts';

const CONFIG = path.join(ROOT, 'test/fixtures/e2e/distribute-jobs.yaml');
let head: HeadProc;
const agents: Proc[] = [];
const workdirs: string[] = [];

before(async () => {
  head = await startHeadProc(tempDir('head'));
  for (const name of ['node-a', 'node-b']) {
    const wd = tempDir(name);
    workdirs.push(wd);
    agents.push(startAgentProc(head, name, wd));
  }
  await waitFor(async () => (await api(head, '/api/nodes')).body.nodes?.filter((n: any) => n.state === 'idle').length === 2, 20_000, () => 'agents did not connect');
});

after(async () => {
  for (const a of agents) await stop(a);
  await stop(head);
});

test('a python batch runs on two agents and every result comes back byte for byte', async () => {
  const env = { DISTRIBUTE_HEAD: head.url, DISTRIBUTE_TOKEN: head.adminToken };
  const added = await cli(['add', CONFIG, '--json'], env);
  assert.equal(added.code, 0, added.stderr);
  const info = JSON.parse(added.stdout);
  assert.equal(info.jobs, 7);
  assert.equal(info.nodes.filter((n: any) => n.ok).length, 2);

  const batch = await waitBatchEnded(head, info.id, 90_000);
  const byName = Object.fromEntries(batch.jobs.map((j: any) => [j.name, j]));
  for (let i = 1; i <= 6; i++) assert.equal(byName[`job_${i}`].outcome, 'succeeded', `job_${i}`);
  assert.equal(byName.job_7.outcome, 'failed');
  assert.deepEqual(byName.job_7.result, { outcome: 'failed', exitCode: 3 });
  assert.equal(batch.outcome, 'finished');
  const nodesUsed = new Set(batch.jobs.map((j: any) => j.node));
  assert.equal(nodesUsed.size, 2, 'both agents took work');
  // The batch ended: each agent drops its batch folder and the cached inputs only it used.
  for (const wd of workdirs) {
    await waitFor(() => fs.readdirSync(path.join(wd, 'cache')).length === 0 && fs.readdirSync(path.join(wd, 'batches')).length === 0,
      10_000, () => `agent workdir ${wd} still holds ${fs.readdirSync(path.join(wd, 'cache')).length} cached inputs`);
  }

  const out = tempDir('pull');
  const pulled = await cli(['pull', CONFIG, '--out', out, '--json'], env);
  assert.equal(pulled.code, 0, pulled.stderr);
  assert.equal(JSON.parse(pulled.stdout).pulled, 7 * 5);
  for (let i = 1; i <= 7; i++) {
    const dir = path.join(out, 'tests', 'e2e', `job_${i}`); // <out>/<namespace>/<batch>/<job>
    assert.deepEqual(listFiles(dir), ['_distribute/result.json', '_distribute/stderr.log', '_distribute/stdout.log', 'deep/er/data.bin', 'result.txt']);
    const expected = Buffer.from(Array.from({ length: 5000 + i }, (_, k) => (k * i) % 256));
    assert.ok(fs.readFileSync(path.join(dir, 'deep/er/data.bin')).equals(expected), `data.bin of job_${i}`);
    assert.equal(fs.readFileSync(path.join(dir, 'result.txt'), 'utf8'), `common input n=${i} square=${i * i} builds=1\n`);
    assert.match(fs.readFileSync(path.join(dir, '_distribute/stdout.log'), 'utf8'), new RegExp(`^stdout of job n=${i} cores=\\d+\\n$`));
    assert.equal(fs.readFileSync(path.join(dir, '_distribute/stderr.log'), 'utf8'), `stderr of job n=${i}\n`);
    const meta = JSON.parse(fs.readFileSync(path.join(dir, '_distribute/result.json'), 'utf8'));
    assert.equal(meta.job, `job_${i}`);
    assert.equal(meta.result.outcome, i === 7 ? 'failed' : 'succeeded');
  }
  // The build ran once per node: every job saw builds=1, and no node ran it twice.
  const again = await cli(['pull', CONFIG, '--out', out, '--json'], env);
  assert.equal(JSON.parse(again.stdout).pulled, 0, 'a second pull transfers nothing');

  const status = await cli(['status', '--json'], env);
  assert.equal(status.code, 0);
  const s = JSON.parse(status.stdout);
  assert.equal(s.batches[0].counts.succeeded, 6);
  assert.equal(s.batches[0].counts.failed, 1);
});

test('requests without a valid token are refused', async () => {
  const noToken = await fetch(`${head.url}/api/status`);
  assert.equal(noToken.status, 401);
  assert.match((await noToken.json()).error, /missing token/);
  const wrong = await api(head, '/api/status', { token: 'nope-not-a-token' });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.body.error, 'invalid token');
  const agentToken = fs.readFileSync(head.agentTokenFile, 'utf8').trim();
  const asAgent = await api(head, '/api/status', { token: agentToken });
  assert.equal(asAgent.status, 403);
  const viaCli = await cli(['status'], { DISTRIBUTE_HEAD: head.url, DISTRIBUTE_TOKEN: 'wrong' });
  assert.equal(viaCli.code, 1);
  assert.match(viaCli.stderr, /invalid token/);
});
