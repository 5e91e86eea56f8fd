/**
 * A full archive disk is seen and loses nothing. The head's data folder is a 16 MiB tmpfs, filled
 * so that 5 MiB are free, with --min-free-disk 2MiB; three jobs each leave a 4 MiB result. The
 * second upload does not fit: the head answers 507 and logs it, status/nodes show the disk full
 * and no further job is assigned, and the agents keep their results and retry. Once space is
 * freed, the kept results upload, the last job runs, and nothing ran twice.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { routes } from '../../shared/api/routes.ts';
import { api, cli, startAgentProc, startHeadProc, stop, tempDir, waitBatchEnded, waitFor, type HeadProc, type Proc } from '../helpers/cluster.ts';
import { watchHead } from '../helpers/head-watch.ts';
import { addBatch, envFor, jobProcessesUnder, runCounts, waitIdleNodes, writeShellBatch } from '../helpers/shell-batch.ts';

const MiB = 1024 * 1024;
const isRoot = process.getuid?.() === 0;
const dataDir = tempDir('disk-head');
const tmp = tempDir('disk-full');
const filler = path.join(dataDir, 'filler.bin');
let mounted = false;
let head: HeadProc | undefined;
const agents: Proc[] = [];
const workdirs: string[] = [];

function freeBytes(): number {
  const s = fs.statfsSync(dataDir);
  return s.bavail * s.bsize;
}

before(() => {
  if (!isRoot) return;
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', dataDir]);
  mounted = true;
});

after(async () => {
  try {
    for (const a of agents) await stop(a);
    if (head) await stop(head);
    for (const wd of workdirs) for (const pid of jobProcessesUnder(wd)) process.kill(pid, 'SIGKILL');
  } finally {
    if (mounted) execFileSync('umount', ['-l', dataDir]);
  }
});

test('uploads hitting a full disk get 507, the disk shows full, results wait on their nodes and nothing re-runs', { skip: isRoot ? false : 'needs root to mount a small tmpfs' }, async () => {
  head = await startHeadProc(dataDir, { nodeTimeout: '10s', extra: ['--min-free-disk', '2M'] });
  // Leave 5 MiB free: one 4 MiB result fits, the second does not.
  fs.writeFileSync(filler, Buffer.alloc(Math.max(0, freeBytes() - 5 * MiB)));
  for (const name of ['disk-a', 'disk-b']) {
    const wd = tempDir(name);
    workdirs.push(wd);
    agents.push(startAgentProc(head, name, wd));
  }
  await waitIdleNodes(head, 2);

  const counter = path.join(tmp, 'runs.txt');
  const file = writeShellBatch(tmp, {
    name: 'big-results',
    jobs: ['j1', 'j2', 'j3'].map((name) => ({
      name, command: `echo ${name} >> ${counter}; head -c ${4 * MiB} /dev/urandom > distribute_save/data.bin; echo ${name} written`,
    })),
  });
  const watch = await watchHead(head);
  const { id } = await addBatch(head, file);

  // The disk fills: an upload is refused with 507 and the head says so.
  await waitFor(() => /archive disk full: refused ft\/big-results\/j\d data\.bin \(507\)/.test(head!.output()), 60_000, () => `no 507 logged:\n${head!.output()}`);
  await watch.until((v) => v.archive && v.archive.state !== 'ok', 'the head to show the disk full');
  const status = (await api(head, routes.status())).body;
  assert.ok(['full', 'low'].includes(status.archive.state));
  assert.match(status.archive.reason, /no new jobs are assigned/);
  assert.equal(typeof status.archive.freeBytes, 'number');
  const nodes = (await api(head, routes.nodes())).body;
  assert.notEqual(nodes.archive.state, 'ok');
  const statusText = await cli(['status'], envFor(head));
  assert.match(statusText.stdout, /DISK (FULL|LOW): /);
  assert.match(statusText.stdout, /finished results? waits? on (its node|their nodes) for space: ft\/big-results\/j\d/, 'status names the results that wait');
  const nodesText = await cli(['nodes'], envFor(head));
  assert.match(nodesText.stdout, /DISK (FULL|LOW): /);

  // While the disk is full no new job goes out: at most two of the three were ever assigned.
  await new Promise((r) => setTimeout(r, 3000));
  const jobs = (await api(head, routes.batch(id))).body.jobs as { name: string; state: string; attempts: number }[];
  assert.equal(jobs.filter((j) => j.state === 'queued').length >= 1, true, JSON.stringify(jobs));
  assert.ok(runCounts(counter).size <= 2, 'no third job started on a full disk');
  assert.doesNotMatch(head.output(), /rejected/, 'no agent gave its job up');

  // Space comes back: the kept results upload, the last job runs, nothing runs twice.
  fs.rmSync(filler);
  const batch = await waitBatchEnded(head, id, 90_000);
  assert.equal(batch.counts.succeeded, 3, JSON.stringify(batch.counts));
  assert.deepEqual(Object.fromEntries(runCounts(counter)), { j1: 1, j2: 1, j3: 1 });
  for (const j of batch.jobs as { name: string; attempt: number }[]) {
    assert.equal(j.attempt, 1, `${j.name} ran once`);
    const dir = path.join(dataDir, 'archive/ft/big-results', j.name);
    const meta = JSON.parse(fs.readFileSync(path.join(dir, '_distribute/result.json'), 'utf8'));
    const data = meta.files.find((f: { path: string }) => f.path === 'data.bin');
    assert.equal(crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, 'data.bin'))).digest('hex'), data.sha256);
  }
  await watch.until((v) => v.archive?.state === 'ok', 'the disk to show ok again');
  watch.close();
  assert.equal((await api(head, routes.status())).body.archive?.state, 'ok');
  assert.match(head.output(), /archive disk has space again/);
  assert.doesNotMatch(head.output() + agents.map((a) => a.output()).join(''), /^\s+at /m, 'no stack traces');
});
