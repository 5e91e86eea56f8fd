/**
 * Run leases against a hostile client: a second WebSocket client that enrolled with the agent
 * token (what every workstation has) under its own name tries to take over a genuine agent's run. Each attempt is refused,
 * logged on the head, and the genuine run's archive is exactly what the genuine job wrote:
 * - job-finished, job-started, job-paused, job-rejected for another node's run;
 * - job-log lines injected into another node's run;
 * - result uploads into another run's staging (no key, a wrong key) and a forged run id;
 * - hello claiming a run that was never assigned to it (even with that run's key).
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { readSavedState } from '../../electron/agent/agent-store.ts';
import { RUN_KEY_HEADER, SHA256_HEADER, routes } from '../../shared/api/routes.ts';
import { FILE_STREAM_TYPE, frameHeader, frameTrailer, streamEnd, streamStart } from '../../shared/file-stream.ts';
import {
  AGENT_WS_PATH, PROTOCOL_VERSION, decodeHeadMessage, encode, type AgentMessage, type HeadMessage,
} from '../../shared/protocol/index.ts';
import { api, startAgentProc, startHeadProc, tempDir, waitBatchEnded, waitFor, type HeadProc, type Proc } from '../helpers/cluster.ts';
import { addBatch, jobOf, stopAll, waitIdleNodes, writeShellBatch } from '../helpers/shell-batch.ts';

let head: HeadProc;
let agent: Proc;
const wd = tempDir('lease-agent');
const tmp = tempDir('lease');

before(async () => {
  head = await startHeadProc(tempDir('lease-head'), { nodeTimeout: '5s' });
  agent = startAgentProc(head, 'genuine', wd);
  await waitIdleNodes(head, 1);
});

after(() => stopAll(head, agent ? [agent] : [], [wd]));

/** A hostile agent-token client: says hello as `name` and records what the head sends it. */
async function hostile(name: string, held: Extract<AgentMessage, { type: 'hello' }>['held'] = []) {
  const token = fs.readFileSync(head.agentTokenFile, 'utf8').trim();
  const ws = new WebSocket(head.url.replace(/^http/, 'ws') + AGENT_WS_PATH, { headers: { authorization: `Bearer ${token}` } });
  const got: HeadMessage[] = [];
  let credential = '';
  ws.on('message', (raw) => {
    const d = decodeHeadMessage(raw);
    if (d.ok) got.push(d.message);
    if (d.ok && d.message.type === 'welcome' && d.message.credential) credential = d.message.credential;
  });
  await new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); });
  const send = (m: AgentMessage) => ws.send(encode(m));
  send({
    type: 'hello', protocol: PROTOCOL_VERSION, agentVersion: 'evil', name,
    capabilities: { tags: [], physicalCores: 1, logicalCores: 1, memoryBytes: 1, gpus: [] }, held, built: [],
  });
  await waitFor(() => got.some((m) => m.type === 'welcome'), 5000, () => 'no welcome');
  return { ws, got, send, credential: () => credential };
}

/** Refusal lines the head logged since `from` characters of its output. */
const refusals = (from: number) => head.output().slice(from).split('\n').filter((l) => /refused/.test(l));

const sha = (data: Buffer | string) => crypto.createHash('sha256').update(data).digest('hex');

test('another agent-token client cannot report, log into, upload into or claim a genuine run', async () => {
  const config = writeShellBatch(tmp, {
    name: 'victim',
    // The job runs until the test is done with it (a go file; at most 120 s), however slow the machine.
    jobs: [{ name: 'j', command: `echo genuine-out; for i in $(seq 1200); do [ -e ${JSON.stringify(path.join(tmp, 'go'))} ] && break; sleep 0.1; done; echo genuine > distribute_save/out.txt` }],
  });
  const { id } = await addBatch(head, config);
  await waitFor(async () => (await jobOf(head, id, 'j'))?.state === 'running', 20_000, () => 'the genuine job never started');
  // The genuine agent's only run (agent-state.json keeps every run held in `runs`).
  const { runId, runKey } = readSavedState(path.join(wd, 'agent-state.json'))!.runs[0] as { runId: string; runKey: string };
  const mark = head.output().length;

  // hello claiming the genuine run (even knowing its key: it was never assigned to this node).
  const evil = await hostile('evil', [{ runId, runKey, state: 'running' }]);
  await waitFor(() => evil.got.some((m) => m.type === 'cancel'), 5000, () => 'the refused claim was not answered');
  assert.deepEqual(evil.got.filter((m) => m.type === 'cancel').map((m) => (m as { runId: string }).runId), [runId], 'told to drop it, on its own connection only');

  // Messages about the genuine run from the hostile connection.
  evil.send({ type: 'job-started', runId });
  evil.send({ type: 'job-log', runId, stream: 'stdout', data: 'INJECTED LINE\n' });
  evil.send({ type: 'job-paused', runId, until: null });
  evil.send({ type: 'job-rejected', runId, reason: 'hostile hand-back' });
  const forged = Buffer.from('forged\n');
  evil.send({
    type: 'job-finished', runId, result: { outcome: 'succeeded', exitCode: 0 }, startedAt: 1, endedAt: 2, runMs: 1,
    files: [{ path: 'out.txt', size: forged.length, sha256: sha(forged) }],
  });
  await waitFor(() => evil.got.some((m) => m.type === 'result-ack'), 5000, () => 'no answer to the forged job-finished');
  assert.deepEqual(evil.got.filter((m) => m.type === 'result-ack').map((m) => (m as { status: string }).status), ['discarded']);

  // Uploads (with the hostile node's own credential) into the genuine run's staging without its
  // key, with a wrong key, even with the right key, and into a made-up run.
  assert.ok(evil.credential(), 'the hostile client enrolled');
  const put = (run: string, key: string | null) => fetch(head.url + routes.agentResult(run, 'out.txt'), {
    method: 'PUT', body: forged,
    headers: {
      authorization: `Bearer ${evil.credential()}`, 'content-type': 'application/octet-stream',
      [SHA256_HEADER]: sha(forged), ...(key === null ? {} : { [RUN_KEY_HEADER]: key }),
    },
  });
  assert.equal((await put(runId, null)).status, 403);
  assert.equal((await put(runId, 'A'.repeat(43))).status, 403);
  assert.equal((await put(runId, runKey)).status, 403, 'a leaked key is not enough: the run is not this node\'s');
  assert.equal((await put('rNoSuchRunAtAll01', 'A'.repeat(43))).status, 404);
  assert.equal((await put('../../etc', 'x')).status, 400, 'not a run id');
  // The same through the result-stream route (many files in one request).
  const stream = Buffer.concat([streamStart(), frameHeader({ path: 'out.txt', size: forged.length }), forged, frameTrailer(sha(forged)), streamEnd()]);
  const post = (run: string, key: string | null) => fetch(head.url + routes.agentResultStream(run), {
    method: 'POST', body: stream,
    headers: { authorization: `Bearer ${evil.credential()}`, 'content-type': FILE_STREAM_TYPE, ...(key === null ? {} : { [RUN_KEY_HEADER]: key }) },
  });
  assert.equal((await post(runId, null)).status, 403);
  assert.equal((await post(runId, 'A'.repeat(43))).status, 403);
  assert.equal((await post(runId, runKey)).status, 403, 'a leaked key is not enough for a stream either');
  assert.equal((await post('rNoSuchRunAtAll01', 'A'.repeat(43))).status, 404);

  // Nothing changed for the genuine run, and each attempt left a log line on the head.
  const job = await jobOf(head, id, 'j');
  assert.equal(job.state, 'running', 'still running on the genuine node');
  assert.equal(job.node, 'genuine');
  const lines = await waitFor(() => {
    const l = refusals(mark);
    return l.length >= 9 ? l : null;
  }, 5000, () => `expected 9 refusals, got:\n${refusals(mark).join('\n')}`);
  for (const what of ['hello of evil claiming', 'job-started', 'job-log', 'job-paused', 'job-rejected', 'job-finished', 'upload', 'upload of a result stream'])
    assert.ok(lines.some((l) => l.includes(what)), `a refusal of ${what} is logged:\n${lines.join('\n')}`);
  assert.ok(!fs.existsSync(path.join(head.dataDir, 'staging', id, runId, 'out.txt')), 'nothing forged was staged');
  evil.ws.close();
  fs.writeFileSync(path.join(tmp, 'go'), '');

  // The genuine run ends on its own and its archive is the genuine one.
  const batch = await waitBatchEnded(head, id, 30_000);
  assert.equal(batch.jobs[0].outcome, 'succeeded');
  assert.equal(batch.jobs[0].attempt, 1, 'never re-queued');
  const jobDir = path.join(head.dataDir, 'archive/ft/victim/j');
  assert.equal(fs.readFileSync(path.join(jobDir, 'out.txt'), 'utf8'), 'genuine\n');
  const stdout = fs.readFileSync(path.join(jobDir, '_distribute/stdout.log'), 'utf8');
  assert.match(stdout, /genuine-out/);
  assert.doesNotMatch(stdout, /INJECTED/);
  const meta = JSON.parse(fs.readFileSync(path.join(jobDir, '_distribute/result.json'), 'utf8'));
  assert.equal(meta.runId, runId);
  assert.equal(meta.node, 'genuine');
  const logs = await api(head, routes.jobLogs(id, 'j'));
  assert.doesNotMatch(String(logs.body), /INJECTED/);
});
