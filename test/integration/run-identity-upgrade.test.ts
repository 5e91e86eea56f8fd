/**
 * Upgrading in place with a run in flight. test/fixtures/v0.1-inflight holds a head data folder and
 * an agent workdir written by distribute 0.1 (commit a24f390, made by its make-fixture.sh): head
 * and agent were SIGKILLed while job `slow` ran on `old-node` (its result half uploaded), job
 * `later` still queued. The current head and agent start on copies: both migrate the run to the
 * run id they derive alike, the agent adopts the finished job and reports it, and it is archived
 * as that 0.1 run (attempt 1, nothing re-run); `later` runs under a fresh random run id.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { legacyRunId } from '../../shared/job/run-id.ts';
import { readSavedState } from '../../electron/agent/agent-store.ts';
import { ROOT, startAgentProc, startHeadProc, stop, tempDir, waitBatchEnded, waitFor, type HeadProc, type Proc } from '../helpers/cluster.ts';

const lab = tempDir('upgrade-inflight');
const BATCH = 'mx2jww0ul0vmob';
let head: HeadProc;
let agent: Proc | null = null;

before(async () => {
  fs.cpSync(path.join(ROOT, 'test/fixtures/v0.1-inflight'), lab, { recursive: true });
  // The fixture's node was last seen when it was made; keep it known whatever today's date is.
  head = await startHeadProc(path.join(lab, 'head'), { extra: ['--forget-nodes-after', '100000h'] });
});

after(async () => {
  if (agent) await stop(agent);
  await stop(head);
});

test('a 0.1 head and agent stopped mid-run: the run is migrated, adopted and archived once; nothing re-runs', async () => {
  await waitFor(() => /migrated 1 run\(s\) of a version 0\.1 data folder/.test(head.output()), 10_000, () => head.output());
  const legacy = legacyRunId(BATCH, 'slow', 1);
  // The half-uploaded 0.1 staging folder moved to the run's folder (the emptied folder of the job
  // goes once the head has loaded; by the end nothing is left in staging, below).
  assert.ok(fs.existsSync(path.join(lab, 'head/staging', BATCH, legacy, 'out.txt')));
  assert.ok(!fs.existsSync(path.join(lab, 'head/staging', BATCH, 'slow', '1')));

  agent = startAgentProc({ url: head.url, agentTokenFile: path.join(lab, 'head', 'agent-token') }, 'old-node', path.join(lab, 'agent'));
  const batch = await waitBatchEnded(head, BATCH, 60_000).catch((err: Error) => {
    throw new Error(`${err.message}\nhead:\n${head.output()}\nagent:\n${agent?.output()}`);
  });
  assert.match(agent.output(), new RegExp(`migrated the run in .*agent-state\\.json from version 0\\.1 \\(now run ${legacy}\\)`));
  const byName = Object.fromEntries(batch.jobs.map((j) => [j.name, j]));
  assert.equal(byName.slow.outcome, 'succeeded');
  assert.equal(byName.slow.attempt, 1, 'the 0.1 run was adopted, not re-run');
  assert.equal(byName.later.outcome, 'succeeded');

  const archived = (job: string) => JSON.parse(fs.readFileSync(path.join(lab, 'head/archive/lab/in-flight', job, '_distribute/result.json'), 'utf8'));
  assert.equal(archived('slow').runId, legacy);
  assert.equal(archived('slow').node, 'old-node');
  assert.equal(fs.readFileSync(path.join(lab, 'head/archive/lab/in-flight/slow/out.txt'), 'utf8'), 'made by the 0.1 run\n');
  assert.match(fs.readFileSync(path.join(lab, 'head/archive/lab/in-flight/slow/_distribute/stdout.log'), 'utf8'), /^started by 0\.1\n/);
  assert.doesNotMatch(archived('later').runId, /^v1-/, 'a new run gets a random id');

  const journal = fs.readFileSync(path.join(lab, 'head/state/batches', BATCH, 'runs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(journal.map((r) => [r.job, r.node, r.attempt, r.keyHash === null]), [['slow', 'old-node', 1, true], ['later', 'old-node', 1, false]]);
  assert.deepEqual(fs.readdirSync(path.join(lab, 'head/staging')), [], 'no staging left');
  // The agent lets go of its last run once the ack is in (saved just after the head answered);
  // agent-state.json keeps every run held in `runs`.
  await waitFor(() => readSavedState(path.join(lab, 'agent/agent-state.json'))?.runs?.length === 0, 10_000, () => 'the agent still holds a run');
  assert.doesNotMatch(head.output(), /refused/, 'the migrated run was never refused');
});
