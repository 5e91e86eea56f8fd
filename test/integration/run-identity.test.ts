/**
 * Issue 15's corruption, reproduced with real processes: the head is SIGKILLed right after it
 * assigned a job (inside the store's 150 ms write-coalescing window) while that agent is
 * SIGSTOPped; the head restarts, a second agent gets the job after the node timeout; the first
 * agent is SIGCONTed; both runs upload. Each run stages in its own folder under its own run id, so
 * exactly one result is archived, it matches its result.json, `pull` verifies it, and no staging
 * folder is left behind.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { readSavedState } from '../../electron/agent/agent-store.ts';
import { cli, startAgentProc, startHeadProc, stop, tempDir, waitBatchEnded, waitFor, type HeadProc, type Proc } from '../helpers/cluster.ts';
import { addBatch, envFor, jobOf, jobProcessesUnder, waitIdleNodes, writeShellBatch } from '../helpers/shell-batch.ts';

const procs: Proc[] = [];
const workdirs: string[] = [];
after(async () => {
  for (const p of procs) {
    if (p.child.signalCode === null && p.child.exitCode === null) p.child.kill('SIGCONT');
    await stop(p, 'SIGKILL');
  }
  for (const wd of workdirs) for (const pid of jobProcessesUnder(wd)) process.kill(pid, 'SIGKILL');
});

const sha = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** Files and empty folders under `dir` (relative), for "nothing left in staging". */
function leftovers(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    const entries = fs.readdirSync(d, { withFileTypes: true });
    if (!entries.length && rel) out.push(`${rel}/`);
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(d, e.name), r);
      else out.push(r);
    }
  };
  if (fs.existsSync(dir)) walk(dir, '');
  return out;
}

test('a head SIGKILLed inside the coalescing window, a stopped agent and a re-run: one correct archive that pull verifies', async (t) => {
  const dataDir = tempDir('runid-head');
  const tmp = tempDir('runid');
  let head: HeadProc = await startHeadProc(dataDir, { nodeTimeout: '3s' });
  procs.push(head);
  const wdA = tempDir('runid-a');
  const wdB = tempDir('runid-b');
  workdirs.push(wdA, wdB);
  const a = startAgentProc(head, 'node-a', wdA);
  procs.push(a);
  await waitIdleNodes(head, 1);

  // Each run writes different bytes: a mix of two runs' files would not match any result.json.
  const config = writeShellBatch(tmp, {
    name: 'blob',
    jobs: [{ name: 'j', command: 'sleep 3; head -c 3000000 /dev/urandom > distribute_save/blob.bin; echo "$DISTRIBUTE_JOB_MARKER" > distribute_save/who.txt' }],
  });
  // Kill the head the moment node-a has the assignment (its state file names the run).
  const stateFile = path.join(wdA, 'agent-state.json');
  const hasRun = () => {
    try {
      // The agent keeps every run it holds in `runs` (several when requests let jobs share a node).
      return readSavedState(stateFile)?.runs?.[0]?.runId;
    } catch {
      return undefined;
    }
  };
  const killed = new Promise<string>((resolve) => {
    const watcher = fs.watch(wdA, () => {
      const runId = hasRun();
      if (!runId) return;
      watcher.close();
      head.child.kill('SIGKILL');
      a.child.kill('SIGSTOP');
      resolve(runId);
    });
  });
  const { id } = await addBatch(head, config);
  const firstRun = await killed;
  await head.exited;

  // Was the kill inside the window? The job's state then never reached the disk.
  const chunk = JSON.parse(fs.readFileSync(path.join(dataDir, 'state/batches', id, 'jobs-0.json'), 'utf8'));
  const stored = chunk.jobs[0].status.state;
  t.diagnostic(`job state on disk at the kill: ${stored} (queued = inside the coalescing window)`);
  const journal = fs.readFileSync(path.join(dataDir, 'state/batches', id, 'runs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(journal.map((r) => [r.runId, r.node, r.attempt]), [[firstRun, 'node-a', 1]], 'the run was durable before node-a heard of it');

  // Restart on the same port; a second agent joins; node-a stays stopped past its window.
  head = await startHeadProc(dataDir, { nodeTimeout: '3s', port: head.port });
  procs.push(head);
  const b = startAgentProc(head, 'node-b', wdB);
  procs.push(b);
  const rerun = await waitFor(async () => {
    const j = await jobOf(head, id, 'j');
    return j?.node === 'node-b' && (j.state === 'running' || j.state === 'assigned') ? j : null;
  }, 60_000, () => `the job never went to node-b:\n${head.output()}`);
  assert.equal(rerun.attempt, 2, 'the attempt number is not handed out twice');

  // node-a wakes up while node-b runs: both runs go on and both upload.
  a.child.kill('SIGCONT');
  const batch = await waitBatchEnded(head, id, 60_000);
  assert.equal(batch.jobs[0].outcome, 'succeeded');

  // Exactly one result: its files are the ones result.json lists.
  const jobDir = path.join(dataDir, 'archive/ft/blob/j');
  const meta = JSON.parse(fs.readFileSync(path.join(jobDir, '_distribute/result.json'), 'utf8'));
  const runs = fs.readFileSync(path.join(dataDir, 'state/batches', id, 'runs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(runs.map((r) => [r.node, r.attempt]), [['node-a', 1], ['node-b', 2]]);
  assert.notEqual(runs[0].runId, runs[1].runId);
  assert.ok(runs.some((r) => r.runId === meta.runId && r.node === meta.node), `archived run ${meta.runId} on ${meta.node} is one of the two`);
  for (const f of meta.files as { path: string; size: number; sha256: string }[]) {
    assert.equal(sha(path.join(jobDir, f.path)), f.sha256, `${f.path} matches result.json`);
    assert.equal(fs.statSync(path.join(jobDir, f.path)).size, f.size);
  }
  const out = tempDir('runid-pull');
  const pulled = await cli(['pull', config, '--out', out], envFor(head));
  assert.equal(pulled.code, 0, pulled.stderr + pulled.stdout);
  const pulledBlob = fs.readdirSync(out, { recursive: true }).map(String).find((p) => p.endsWith('blob.bin'));
  assert.ok(pulledBlob, 'pull wrote blob.bin');
  assert.equal(sha(path.join(out, pulledBlob)), sha(path.join(jobDir, 'blob.bin')));

  // Both runs are done with; no staging folder (not even an empty one) is left.
  await waitFor(() => leftovers(path.join(dataDir, 'staging')).length === 0, 15_000,
    () => `staging not cleaned: ${leftovers(path.join(dataDir, 'staging')).join(', ')}`);
  assert.doesNotMatch(head.output(), /ENOENT|internal error/, 'no upload tripped over another');
});
