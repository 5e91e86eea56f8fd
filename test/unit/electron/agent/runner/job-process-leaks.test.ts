/**
 * startJobProcess on its error paths: spawn() itself throws for a NUL byte in an argument and for
 * an argument over the kernel's limit (E2BIG). The job must end `spawn-failed` with the reason in
 * its stderr log, and leave no file descriptor, log poller or timer behind (it used to leak about
 * four fds and two timers per try).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jobFiles, startJobProcess } from '../../../../../electron/agent/runner/job-process.ts';

const fdCount = () => fs.readdirSync('/proc/self/fd').length;
const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

for (const [name, args, reason] of [
  ['a NUL byte', ['-c', 'echo a\u0000b'], 'the command contains a NUL byte'],
  ['a 300 KB argument', ['-c', `echo ${'x'.repeat(300_000)}`], 'the command line is too long for the operating system (E2BIG)'],
] as const) {
  test(`${name}: spawn-failed, reason in stderr, nothing left open after 50 tries`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distribute-leak-'));
    const fdsBefore = fdCount();
    const timersBefore = timers();
    for (let i = 0; i < 50; i++) {
      const proc = startJobProcess({ file: '/bin/sh', args: [...args], cwd: dir, env: {}, ...jobFiles(dir), onOutput: () => {} });
      assert.deepEqual(await proc.done, { kind: 'spawn-failed', message: reason });
      assert.equal(proc.pid, 0);
    }
    assert.ok(fdCount() <= fdsBefore, `file descriptors: ${fdCount()} after, ${fdsBefore} before`);
    assert.ok(timers() <= timersBefore, `timers: ${timers()} after, ${timersBefore} before`);
    const stderr = fs.readFileSync(jobFiles(dir).stderrPath, 'utf8');
    assert.equal(stderr.split('\n').filter(Boolean).length, 50);
    assert.match(stderr, new RegExp(`^distribute: cannot start the job: ${reason.replace(/[()]/g, '\\$&')}$`, 'm'));
    fs.rmSync(dir, { recursive: true, force: true });
  });
}
