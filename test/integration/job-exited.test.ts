/**
 * A node takes its next job when the previous job's processes end, not when its result is
 * archived (docs/scheduling.md, docs/fault-tolerance.md): one agent, jobs without a request (each
 * has the node alone, in the same batch folder). The first leaves a 64 MiB result; the second
 * starts while that result is still uploading, writes a file of the same name in the same folder,
 * and neither result is mixed into the other: each archived file is what its own job wrote.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { startAgentProc, startHeadProc, stop, tempDir, waitBatchEnded, type HeadProc, type Proc } from '../helpers/cluster.ts';
import { addBatch, waitIdleNodes, writeShellBatch } from '../helpers/shell-batch.ts';

let head: HeadProc | undefined;
const agents: Proc[] = [];

after(async () => {
  for (const a of agents) await stop(a);
  if (head) await stop(head);
});

test('the next job starts while the previous result uploads; results stay apart', async () => {
  const tmp = tempDir('job-exited');
  head = await startHeadProc(path.join(tmp, 'head'), { nodeTimeout: '10s' });
  agents.push(startAgentProc(head, 'solo', path.join(tmp, 'agent')));
  await waitIdleNodes(head, 1);
  const write = (what: string) => `${what} > distribute_save/data.bin && sha256sum distribute_save/data.bin`;
  const file = writeShellBatch(tmp, {
    name: 'overlap',
    jobs: [
      { name: 'big', command: write(`head -c ${64 * 1024 * 1024} /dev/urandom`) },
      { name: 'small', command: write('echo small') },
      { name: 'last', command: write('echo last') },
    ],
  });
  const { id } = await addBatch(head, file);
  const batch = await waitBatchEnded(head, id, 120_000);
  assert.equal(batch.counts.succeeded, 3, JSON.stringify(batch.counts));
  const archive = path.join(head.dataDir, 'archive/ft/overlap');
  for (const job of ['big', 'small', 'last']) {
    const printed = fs.readFileSync(path.join(archive, job, '_distribute/stdout.log'), 'utf8').split(' ')[0];
    const stored = crypto.createHash('sha256').update(fs.readFileSync(path.join(archive, job, 'data.bin'))).digest('hex');
    assert.equal(stored, printed, `${job}: the archived data.bin is the one this job wrote`);
  }
  // The jobs ran one after another (each had the node alone), and the second started before the
  // first's result was archived (its result.json is written just before the move into the archive).
  const jobs = new Map(batch.jobs.map((j) => [j.name, j]));
  const big = jobs.get('big')!;
  const small = jobs.get('small')!;
  assert.ok(small.startedAt! >= big.endedAt!, 'one job at a time on the node');
  const bigArchived = fs.statSync(path.join(archive, 'big/_distribute/result.json')).mtimeMs;
  assert.ok(small.startedAt! < bigArchived, `small started at ${small.startedAt}, before big's result was archived at ${bigArchived}`);
});
