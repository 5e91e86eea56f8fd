/**
 * The agent installs its signal handlers before anything else: an agent restarted on a job that
 * survived its predecessor (SIGKILL) and SIGTERMed while it is still loading, long before it
 * printed anything or reached the head, still shuts down cleanly: it adopts the job, kills its
 * whole tree, hands it back (the head re-queues it well before the node timeout) and exits 0.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startAgentProc, startHeadProc, stop, tempDir, waitBatchEnded, waitFor, type HeadProc, type Proc } from '../helpers/cluster.ts';
import { addBatch, jobOf, jobProcessesUnder, runCounts, waitIdleNodes, writeShellBatch } from '../helpers/shell-batch.ts';

let head: HeadProc;
const tmp = tempDir('early-signal');
const procs: Proc[] = [];
const workdirs: string[] = [];

before(async () => {
  // A long node timeout: a quick re-queue below comes from the hand-back, not from node loss.
  head = await startHeadProc(tempDir('head'), { nodeTimeout: '60s' });
});

after(async () => {
  for (const p of procs) await stop(p, 'SIGKILL');
  await stop(head);
  for (const wd of workdirs) for (const pid of jobProcessesUnder(wd)) process.kill(pid, 'SIGKILL');
});

function agent(name: string, workdir: string): Proc {
  const p = startAgentProc(head, name, workdir);
  procs.push(p);
  return p;
}

test('an agent SIGTERMed while still starting hands its adopted job back and exits 0', async () => {
  const counter = `${tmp}/runs.txt`;
  const marker = `${tmp}/first-run-started`; // the first run is long, the re-run short
  const wd = tempDir('early-a');
  workdirs.push(wd);
  const first = agent('early-a', wd);
  await waitIdleNodes(head, 1);
  const file = writeShellBatch(tmp, { name: 'early', jobs: [{ name: 'long', command: `echo run >> ${counter}; if [ -e ${marker} ]; then s=1; else touch ${marker}; s=60; fi; sleep $s; echo done > distribute_save/out.txt` }] });
  const { id } = await addBatch(head, file);
  await waitFor(async () => (await jobOf(head, id, 'long'))?.state === 'running', 20_000, () => 'the job should start');
  await waitFor(() => jobProcessesUnder(wd).length > 0, 10_000);
  await stop(first, 'SIGKILL');
  assert.ok(jobProcessesUnder(wd).length > 0, 'the job survives its agent');

  // Node needs a moment before any JavaScript runs; a signal before that ends the process whatever
  // it does (and leaves the job and agent-state untouched), so try a little later each time, in
  // small steps: the first signal that lands arrives within a step of the agent's first line of
  // JavaScript, and must be handled cleanly before it printed anything (it prints once it adopted
  // the job and connected out). Start-up time changes with the build and the load, so no fixed delay.
  let second: Proc | null = null;
  let early = '';
  for (let delayMs = 20; delayMs <= 3000; delayMs += delayMs < 1000 ? 20 : 100) {
    const p = agent('early-a', wd);
    await new Promise((r) => setTimeout(r, delayMs));
    early = p.output();
    p.child.kill('SIGTERM');
    const code = await p.exited;
    if (code === null && p.output() === '' && p.child.signalCode === 'SIGTERM') continue; // before any JS ran
    console.log(`SIGTERM ${delayMs} ms after spawn`);
    second = p;
    break;
  }
  assert.ok(second, 'some SIGTERM reached the agent');
  assert.equal(early, '', 'the signal arrived before the agent printed anything');
  const code = second.child.exitCode;
  assert.equal(code, 0, `clean exit:\n${second.output()}`);
  assert.doesNotMatch(second.output(), /^\s+at /m, 'no stack trace');
  assert.match(second.output(), /handing early\/long back/);
  assert.deepEqual(jobProcessesUnder(wd), [], 'the adopted job was killed, whole tree');
  await waitFor(async () => (await jobOf(head, id, 'long'))?.state === 'queued', 15_000, () => 'the head re-queues the job at once');

  agent('early-b', tempDir('early-b'));
  const batch = await waitBatchEnded(head, id, 60_000);
  assert.equal(batch.jobs[0].outcome, 'succeeded');
  assert.equal(batch.jobs[0].node, 'early-b');
  assert.equal(runCounts(counter).get('run'), 2);
});
