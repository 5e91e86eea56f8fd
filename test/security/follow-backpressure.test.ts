/**
 * Issue 12, limits: `logs --follow` and log downloads respect backpressure. A real job writes
 * 256 MiB to stdout through a real agent; a follower that never reads holds the stream open the
 * whole time, and afterwards a reader that never reads asks for the archived log. The head's
 * resident memory (VmRSS from /proc) must stay flat: its peak may grow by at most 150 MiB over the
 * idle head, less than the log's size (without backpressure it grew by more than the log). The
 * follower, once it reads, is told how much it missed. No timing assertions: the job's end is
 * awaited, samples are taken while it runs.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { routes } from '../../shared/api/routes.ts';
import { api, cli, startAgentProc, startHeadProc, stop, tempDir, waitBatchEnded, waitFor, type HeadProc, type Proc } from '../helpers/cluster.ts';
import { envFor, writeShellConfig } from '../integration/shell-batches.ts';

const LOG_BYTES = 256 * 1024 * 1024;
const BOUND = 150 * 1024 * 1024;

let head: HeadProc;
let agent: Proc;

before(async () => {
  head = await startHeadProc(tempDir('bp-head'));
  agent = startAgentProc(head, 'bp-node', tempDir('bp-node'));
  await waitFor(async () => (await api(head, routes.nodes())).body.nodes?.some((n: { state: string }) => n.state === 'idle'), 20_000, () => `agent did not connect:\n${agent.output()}`);
});

after(async () => {
  await stop(agent);
  await stop(head);
});

function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Sends a GET and then never reads: the kernel's buffers fill and the head has to hold back. */
function stalledReader(url: string, p: string, token: string): Promise<net.Socket> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(u.port), u.hostname, () => {
      socket.write(`GET ${p} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}\r\n\r\n`);
      socket.pause();
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

test('a follower that does not read a 256 MiB log costs the head flat memory', async () => {
  const pid = head.child.pid!;
  const baseline = rss(pid);
  const cfg = writeShellConfig('bp', 'noisy', [
    // Waits for the follower to attach (the file appears), then floods stdout.
    { name: 'flood', command: `while [ ! -e "$FOLLOWED" ]; do sleep 0.1; done; yes 0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxy | head -c ${LOG_BYTES}` },
  ]);
  const flag = `${tempDir('bp-flag')}/followed`;
  fs.writeFileSync(cfg, fs.readFileSync(cfg, 'utf8').replaceAll('$FOLLOWED', flag));
  const added = await cli(['add', cfg], envFor(head));
  assert.equal(added.code, 0, added.stderr);
  await waitFor(async () => (await api(head, routes.batch('bp/noisy'))).body.jobs?.[0]?.state === 'running', 30_000, () => 'the job did not start');

  const follower = await stalledReader(head.url, `${routes.jobLogs('bp/noisy', 'flood')}?follow=1`, head.adminToken);
  fs.writeFileSync(flag, '');
  let peak = baseline;
  const sampler = setInterval(() => { peak = Math.max(peak, rss(pid)); }, 100);
  try {
    await waitBatchEnded(head, 'bp/noisy', 300_000);
    // The archived log, asked for by a reader that never reads.
    const archivedReader = await stalledReader(head.url, routes.jobLogs('bp/noisy', 'flood'), head.adminToken);
    const until = Date.now() + 3000;
    await waitFor(() => Date.now() > until, 10_000);
    archivedReader.destroy();
  } finally {
    clearInterval(sampler);
  }
  const archived = fs.statSync(`${head.dataDir}/archive/bp/noisy/flood/_distribute/stdout.log`).size;
  assert.equal(archived, LOG_BYTES, 'the whole log was archived');
  const grew = peak - baseline;
  process.stderr.write(`head RSS: idle ${(baseline / 2 ** 20).toFixed(0)} MiB, peak ${(peak / 2 ** 20).toFixed(0)} MiB (+${(grew / 2 ** 20).toFixed(0)} MiB) for a ${LOG_BYTES / 2 ** 20} MiB log\n`);
  assert.ok(grew < BOUND, `head memory grew by ${(grew / 2 ** 20).toFixed(0)} MiB (bound ${BOUND / 2 ** 20} MiB)`);

  // The follower reads at last: it gets the start of the log and a note of what it missed.
  let text = '';
  // Until the chunked response's last chunk (or the head closes the connection).
  follower.on('data', (d) => { text += d; if (text.endsWith('0\r\n\r\n')) follower.destroy(); });
  const closed = new Promise((r) => follower.once('close', r));
  follower.resume();
  await closed;
  assert.match(text, /0123456789abcdef/);
  assert.match(text, /bytes of output skipped: this reader fell behind/);
});
