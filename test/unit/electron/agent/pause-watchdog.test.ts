/**
 * The pause watchdog with real processes: it continues a stopped process group at the end of the
 * pause even though nobody else is around, and stopping it means it never fires.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, test } from 'node:test';
import { isPauseWatchdog, startPauseWatchdog, stopPauseWatchdog } from '../../../../electron/agent/pause-watchdog.ts';
import { processState } from '../../../../electron/agent/runner/process-tree.ts';

const started: ChildProcess[] = [];
afterEach(() => {
  for (const c of started.splice(0)) {
    try {
      process.kill(-c.pid!, 'SIGKILL');
    } catch { /* gone */ }
  }
});

/** A stopped process group: `sh` with a `sleep` child, both SIGSTOPped. */
function stoppedGroup(): ChildProcess {
  const child = spawn('/bin/sh', ['-c', 'sleep 30 & wait'], { detached: true, stdio: 'ignore' });
  started.push(child);
  process.kill(-child.pid!, 'SIGSTOP');
  return child;
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

test('continues the stopped job group at the end plus grace, on its own', async () => {
  const job = stoppedGroup();
  assert.ok(await until(() => processState(job.pid!) === 'T', 2000));
  const dog = startPauseWatchdog({ pgid: job.pid!, marker: '', at: Date.now() + 500, graceMs: 0 });
  assert.ok(dog > 0);
  assert.equal(isPauseWatchdog(dog), true);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(processState(job.pid!), 'T', 'not before the end');
  assert.ok(await until(() => processState(job.pid!) !== 'T', 4000), 'continued by the watchdog');
  assert.ok(await until(() => !isPauseWatchdog(dog), 2000), 'the watchdog exits after its work');
});

test('a stopped watchdog never fires; unknown pids are left alone', async () => {
  const job = stoppedGroup();
  const dog = startPauseWatchdog({ pgid: job.pid!, marker: '', at: Date.now() + 300, graceMs: 0 });
  stopPauseWatchdog(dog);
  assert.ok(await until(() => !isPauseWatchdog(dog), 2000));
  await new Promise((r) => setTimeout(r, 1800));
  assert.equal(processState(job.pid!), 'T', 'still stopped: nobody continued it');
  // Our own pid is not a watchdog: stopPauseWatchdog must not signal it.
  assert.equal(isPauseWatchdog(process.pid), false);
  stopPauseWatchdog(process.pid);
  assert.equal(startPauseWatchdog({ pgid: 1, marker: '', at: Date.now() }), 0, 'never for init or an invalid group');
});
