/**
 * A job in hand (docs/scheduling.md): once a batch's jobs have shown they run briefly, a busy node
 * is handed its next job ahead and starts it the moment its running job ends. Real head, two real
 * agents, real shell jobs that append their name to a counter file. Checked: nodes do hold a job
 * ahead while they run another; pausing a node gives its job in hand back (it runs elsewhere,
 * once); killing the batch ends the jobs in hand without ever starting them; and every job that
 * ran, ran exactly once.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import { cli, startHeadProc, stop, tempDir, waitBatchEnded, type HeadProc, type Proc } from '../helpers/cluster.ts';
import { watchHead, type HeadView } from '../helpers/head-watch.ts';
import { addBatch, envFor, runCounts, startIdleAgents, writeShellBatch } from '../helpers/shell-batch.ts';

let head: HeadProc | undefined;
let agents: Proc[] = [];

after(async () => {
  for (const a of agents) await stop(a);
  if (head) await stop(head);
});

/** Per node, a job assigned to it (in hand) while another of its jobs runs. */
function inHand(view: HeadView, batchId: string): Map<string, string> {
  const jobs = [...view.jobs.values()].filter((j) => j.batchId === batchId);
  const out = new Map<string, string>();
  for (const j of jobs) {
    if (j.state !== 'assigned') continue;
    if (jobs.some((o) => o.state === 'running' && o.node === j.node)) out.set(j.node, j.name);
  }
  return out;
}

test('busy nodes hold their next short job in hand; a pause gives it back, a kill ends it unstarted; nothing runs twice', async () => {
  const tmp = tempDir('job-in-hand');
  head = await startHeadProc(path.join(tmp, 'head'), { nodeTimeout: '20s' });
  const started = await startIdleAgents(head, ['hand-a', 'hand-b']);
  agents = started.agents;
  const counter = path.join(tmp, 'ran.txt');
  // Six quick jobs make the batch count as short; the long ones after them keep both nodes busy
  // while each holds its next job in hand, for as long as the test needs.
  const jobs = [
    ...Array.from({ length: 6 }, (_, i) => ({ name: `quick${i}`, command: `echo quick${i} >> ${counter}` })),
    ...Array.from({ length: 8 }, (_, i) => ({ name: `long${i}`, command: `echo long${i} >> ${counter}; sleep 120` })),
  ];
  const file = writeShellBatch(tmp, { name: 'hands', jobs });
  const watch = await watchHead(head);
  try {
    const { id } = await addBatch(head, file);
    const busyHolding = (v: HeadView) => {
      const h = inHand(v, id);
      const runningLong = [...v.jobs.values()].filter((j) => j.batchId === id && j.state === 'running' && j.name.startsWith('long'));
      return h.size === 2 && runningLong.length === 2 && h;
    };
    const held = await watch.until(busyHolding, 'both nodes running a long job and holding the next in hand', 90_000);
    // Pausing a node hands its job in hand back (re-queued, it goes to the other node's hand).
    const pausedJob = held.get('hand-a')!;
    const paused = await cli(['pause', '--node', 'hand-a', '--duration', 'until-resumed'], envFor(head));
    assert.equal(paused.code, 0, paused.stderr);
    await watch.until((v) => { const j = v.jobs.get(`${id}/${pausedJob}`); return j && (j.state === 'queued' || j.node === 'hand-b'); }, `${pausedJob} given back by the paused node`);
    await watch.until(() => /handing hands\/\S+ \(not started\) back to the head: node is paused/.test(agents[0].output()), 'the agent logs the hand-back');
    assert.equal((await cli(['resume', '--node', 'hand-a'], envFor(head))).code, 0);
    const again = await watch.until(busyHolding, 'both nodes holding a job in hand again after the resume', 90_000);
    // Kill the batch while the nodes run long jobs with jobs in hand: those end without starting.
    const killed = await cli(['kill', id], envFor(head));
    assert.equal(killed.code, 0, killed.stderr);
    const batch = await waitBatchEnded(head, id, 90_000);
    const counts = runCounts(counter);
    for (const [name, n] of counts) assert.equal(n, 1, `${name} ran ${n} times`);
    for (const job of again.values()) assert.equal(counts.get(job), undefined, `${job} was in hand at the kill, so it never started`);
    assert.equal(batch.counts.succeeded, 6, JSON.stringify(batch.counts));
    assert.equal(batch.counts.cancelled, 8, JSON.stringify(batch.counts));
  } finally {
    watch.close();
  }
});
