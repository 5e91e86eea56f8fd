/**
 * Result files whose names the head cannot store (a backslash, a newline, a name over 200
 * characters) are skipped, named in the job's stderr and in its result.json, and never make the
 * job run again (issue 12, finding 5: such a job used to re-run forever).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { api, startAgentProc, startHeadProc, stop, tempDir, waitBatchEnded, waitFor, type HeadProc, type Proc } from '../helpers/cluster.ts';
import { routes } from '../../shared/api/routes.ts';
import { addBatch, writeShellBatch } from '../helpers/shell-batch.ts';

let head: HeadProc;
let agent: Proc;

before(async () => {
  head = await startHeadProc(tempDir('unstorable-head'));
  agent = startAgentProc(head, 'unstorable-node', tempDir('unstorable-agent'));
  await waitFor(async () => (await api(head, routes.nodes())).body.nodes?.[0]?.state === 'idle', 20_000, () => agent.output());
});

after(async () => {
  await stop(agent);
  await stop(head);
});

test('unstorable result names are skipped and reported; the job succeeds on its first run', async () => {
  const long = 'l'.repeat(250);
  const command = [
    'cd distribute_save',
    "printf ok > ok.txt",
    "printf b > 'back\\slash.txt'",
    "printf n > \"$(printf 'new\\nline.txt')\"",
    `printf l > ${long}.txt`,
  ].join(' && ');
  const cfg = writeShellBatch(tempDir('unstorable-cfg'), { name: 'names', maxRetries: 2, jobs: [{ name: 'j', command }] });
  await addBatch(head, cfg);
  const ended = await waitBatchEnded(head, 'ft/names');
  const job = ended.jobs[0];
  assert.equal(job.outcome, 'succeeded');
  assert.equal(job.attempts, 1, 'never re-run for a file name');
  const jobDir = path.join(head.dataDir, 'archive', 'ft', 'names', 'j');
  assert.deepEqual(fs.readdirSync(jobDir).sort(), ['_distribute', 'ok.txt']);
  const meta = JSON.parse(fs.readFileSync(path.join(jobDir, '_distribute', 'result.json'), 'utf8'));
  assert.equal(meta.skipped.length, 3, JSON.stringify(meta.skipped));
  assert.match(meta.skipped.join('\n'), /back\\slash\.txt \(the archive cannot store this name: .*must not contain '\/' or '\\'/);
  assert.match(meta.skipped.join('\n'), /new\\x0aline\.txt \(the archive cannot store this name: .*NUL or control characters/);
  assert.match(meta.skipped.join('\n'), /l{250}\.txt \(the archive cannot store this name: .*at most 200 characters/);
  const stderr = fs.readFileSync(path.join(jobDir, '_distribute', 'stderr.log'), 'utf8');
  assert.match(stderr, /^distribute: not archived: .*back\\slash\.txt.*new\\x0aline\.txt/m);
  assert.ok(!stderr.includes('new\nline'), 'the raw newline never reaches the log');
});
