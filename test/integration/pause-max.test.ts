/**
 * `--at-max-pause requeue`: a job still paused at the agent's maximum is killed and handed back
 * to the head, the node stays paused (nothing left stopped), and after a resume the job runs
 * again and succeeds.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { isAlive, processState } from '../../electron/agent/runner/process-tree.ts';
import { api, cli, ROOT, startAgentProc, startHeadProc, stop, tempDir, waitBatchEnded, waitFor, type HeadProc, type Proc } from '../helpers/cluster.ts';
import { untilHead, watchHead } from '../helpers/head-watch.ts';

const ROLES = ['main', 'child', 'grandchild'];
let head: HeadProc;
let agent: Proc;
let workdir: string;
let watch: string;
let env: Record<string, string>;

const pids = () => ROLES.map((r) => Number(fs.readFileSync(path.join(watch, `pid-${r}`), 'utf8')));

before(async () => {
  head = await startHeadProc(tempDir('max-head'));
  env = { DISTRIBUTE_HEAD: head.url, DISTRIBUTE_TOKEN: head.adminToken };
  workdir = tempDir('max-agent');
  agent = startAgentProc(head, 'max-node', workdir, ['--control-port', '0', '--max-pause', '5s', '--at-max-pause', 'requeue']);
  await untilHead(head, (v) => v.nodes.some((n) => n.state === 'idle'), `the agent to connect:\n${agent.output()}`);
});

after(async () => {
  await stop(agent);
  await stop(head);
});

test('at the maximum the paused job is handed back, and runs again after the resume', async () => {
  watch = tempDir('max-watch');
  const release = path.join(watch, 'release');
  const dir = tempDir('max-batch');
  fs.copyFileSync(path.join(ROOT, 'test/fixtures/pause/job.py'), path.join(dir, 'job.py'));
  fs.writeFileSync(path.join(dir, 'params.json'), JSON.stringify({ watch, release }));
  fs.writeFileSync(path.join(dir, 'distribute-jobs.yaml'), [
    'meta: { batch_name: long-pause, namespace: tests, capabilities: [python3] }',
    'python:',
    '  initialize: { required_files: [] }',
    '  jobs:',
    '    - { name: tree, file: job.py, required_files: [{ path: params.json, alias: params.json }] }',
    '',
  ].join('\n'));
  const added = await cli(['add', path.join(dir, 'distribute-jobs.yaml'), '--json'], env);
  assert.equal(added.code, 0, added.stderr);
  const id = JSON.parse(added.stdout).id;
  await waitFor(() => ROLES.every((r) => fs.existsSync(path.join(watch, `pid-${r}`))), 30_000, () => agent.output());
  const first = pids();

  // The maximum (5 s) leaves a loaded machine time to see the tree stopped before it is killed.
  const watchHeadFeed = await watchHead(head);
  const paused = await cli(['pause', '--duration', 'until-resumed', '--workdir', workdir], env);
  assert.equal(paused.code, 0, paused.stderr);
  assert.match(paused.stdout, /paused until resumed \(at most until/);
  await waitFor(() => first.every((p) => processState(p) === 'T'), 5000, () => `tree not stopped: ${first.map(processState)}`);
  // At 5 s the whole tree is killed (none left stopped) and the head has the job queued again.
  await waitFor(() => first.every((p) => !isAlive(p)), 30_000, () => `tree still alive: ${first.map(processState)}`);
  await watchHeadFeed.until((v) => v.jobs.get(`${id}/tree`)?.state === 'queued', 'the head to re-queue the job');
  watchHeadFeed.close();
  const queued = (await api(head, `/api/batches/${id}`)).body;
  assert.equal(queued.jobs[0].state, 'queued');
  assert.equal(queued.jobs[0].attempts, 1);
  const nodes = (await api(head, '/api/nodes')).body.nodes;
  assert.equal(nodes[0].state, 'paused', 'the node itself stays paused');

  for (const r of ROLES) fs.rmSync(path.join(watch, `pid-${r}`));
  const resumed = await cli(['resume', '--workdir', workdir, '--json'], env);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(JSON.parse(resumed.stdout).recent[0].outcome, 'handed back');
  await waitFor(() => ROLES.every((r) => fs.existsSync(path.join(watch, `pid-${r}`))), 30_000, () => `job did not run again:\n${agent.output()}`);
  fs.writeFileSync(release, '');
  const batch = await waitBatchEnded(head, id, 60_000);
  assert.equal(batch.jobs[0].outcome, 'succeeded');
  assert.equal(batch.jobs[0].attempts, 2);
});
