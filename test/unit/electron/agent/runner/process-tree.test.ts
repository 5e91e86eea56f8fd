import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { isAlive, listDescendants, parseStat, processState, signalTree } from '../../../../../electron/agent/runner/process-tree.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(get: () => T | null | undefined | false, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(20);
  }
}

test('parseStat reads the fields after the last parenthesis, whatever comm holds', () => {
  const line = '4242 (evil) S 1 2 (x)) T 17 4242 4242 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 987654 1000 1';
  assert.deepEqual(parseStat(line), { pid: 4242, comm: 'evil) S 1 2 (x)', state: 'T', ppid: 17, pgrp: 4242, session: 4242, starttime: 987654 });
  assert.equal(parseStat('garbage'), null);
});

test('processState and isAlive on this process and on a pid that does not exist', () => {
  assert.match(processState(process.pid) ?? '', /^[RS]$/);
  assert.equal(isAlive(process.pid), true);
  assert.equal(processState(2 ** 22 + 12345), null);
  assert.equal(isAlive(2 ** 22 + 12345), false);
});

test('listDescendants finds children and grandchildren, signalTree stops and ends them', { timeout: 60_000 }, async (t) => {
  // sh -> (sh -> sleep) + sleep; the inner one leaves the group with setsid.
  const root = spawn('/bin/sh', ['-c', 'setsid /bin/sh -c "sleep 30; :" & sleep 30; wait'], { detached: true, stdio: 'ignore' });
  const exited = new Promise((r) => root.once('exit', r));
  const pid = root.pid!;
  t.after(() => void signalTree(pid, pid, 'SIGKILL')); // never leave the tree behind on failure
  const all = await waitFor(() => {
    const d = listDescendants(pid);
    return d.length >= 3 ? d : null;
  });
  assert.ok(!all.includes(pid));
  assert.ok(all.some((p) => processState(p) !== null && listDescendants(p).length > 0), 'a grandchild is listed');

  signalTree(pid, pid, 'SIGSTOP');
  for (const p of [pid, ...all]) assert.equal(await waitFor(() => processState(p) === 'T' && 'T'), 'T', `pid ${p} stopped`);
  signalTree(pid, pid, 'SIGCONT');
  for (const p of [pid, ...all]) await waitFor(() => processState(p) !== 'T');

  signalTree(pid, pid, 'SIGKILL');
  await exited;
  for (const p of all) await waitFor(() => !isAlive(p));
  // signalling a tree that is gone is not an error
  assert.deepEqual(signalTree(pid, pid, 'SIGTERM'), []);
});
