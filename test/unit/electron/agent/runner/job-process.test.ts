import { after, test } from 'node:test';
// Every test here runs real processes; a hang must fail the test, not stall the run.
const T = { timeout: 10_000 };
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adoptJobProcess, jobMarker, readExitStatus, startJobProcess as startJob, type JobProcess, type StartJobOptions } from '../../../../../electron/agent/runner/job-process.ts';
import { isAlive, processState } from '../../../../../electron/agent/runner/process-tree.ts';

const FIXTURES = new URL('../../../../fixtures/jobs/', import.meta.url).pathname;
const PYTHON = '/usr/bin/python3';
// A failing test must not leave stopped or running job processes behind.
const started: JobProcess[] = [];
after(() => Promise.all(started.map((j) => j.kill(0))));
function startJobProcess(opts: StartJobOptions): JobProcess {
  const job = startJob(opts);
  started.push(job);
  return job;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(get: () => T | null | undefined | false, timeoutMs = 3000, what = 'condition'): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function jobDir() {
  const dir = mkdtempSync(join(tmpdir(), 'distribute-job-'));
  const base: Omit<StartJobOptions, 'file' | 'args'> = {
    cwd: dir,
    env: {},
    stdoutPath: join(dir, 'stdout.log'),
    stderrPath: join(dir, 'stderr.log'),
    exitCodePath: join(dir, 'exit-code'),
  };
  const output = { stdout: '', stderr: '' };
  return { dir, output, opts: { ...base, onOutput: (s: 'stdout' | 'stderr', chunk: string) => (output[s] += chunk) } };
}

function read(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : '';
}

const ROLES = ['main', 'child', 'grandchild'] as const;
function pids(dir: string): number[] {
  return ROLES.map((r) => Number(read(join(dir, `pid-${r}`))));
}
function counts(dir: string): number[] {
  return ROLES.map((r) => Number(read(join(dir, `count-${r}`)) || 0));
}

test('a job that succeeds: exit 0, logs in the files and delivered to onOutput', T, async () => {
  const { opts, output } = jobDir();
  const job = startJobProcess({ ...opts, file: join(FIXTURES, 'ok.sh'), args: ['a b', 'c'] });
  assert.ok(job.pid > 1);
  assert.equal(job.pgid, job.pid);
  assert.deepEqual(await job.done, { kind: 'exited', code: 0 });
  assert.equal(read(opts.stdoutPath), 'ok: a b c');
  assert.equal(read(opts.stderrPath), 'ok stderr line');
  assert.equal(output.stdout, 'ok: a b c\n');
  assert.equal(output.stderr, 'ok stderr line\n');
  assert.equal(read(opts.exitCodePath), '0');
});

test('a non-zero exit is reported with its code', T, async () => {
  const { opts, output } = jobDir();
  const job = startJobProcess({ ...opts, file: '/bin/sh', args: [join(FIXTURES, 'fail.sh')] });
  assert.deepEqual(await job.done, { kind: 'exited', code: 3 });
  assert.equal(output.stderr, 'something went wrong\n');
});

test('a job that dies of a signal is reported as signaled', T, async () => {
  const { opts, output } = jobDir();
  const job = startJobProcess({ ...opts, file: '/bin/sh', args: [join(FIXTURES, 'crash.sh')] });
  assert.deepEqual(await job.done, { kind: 'signaled', signal: 'SIGSEGV' });
  assert.equal(output.stdout, 'about to crash\n');
});

test('a missing interpreter or working folder is a spawn-failed result, not a throw', T, async () => {
  const a = jobDir();
  const onPath = startJobProcess({ ...a.opts, file: 'no-such-interpreter-4711', args: ['x.py'] });
  const r1 = await onPath.done;
  assert.equal(r1.kind, 'spawn-failed');
  assert.match(r1.kind === 'spawn-failed' ? r1.message : '', /no-such-interpreter-4711: not found/);
  assert.match(a.output.stderr, /cannot run no-such-interpreter-4711/);

  const b = jobDir();
  const r2 = await startJobProcess({ ...b.opts, file: '/opt/none/python9', args: [] }).done;
  assert.equal(r2.kind, 'spawn-failed');

  const c = jobDir();
  const r3 = await startJobProcess({ ...c.opts, cwd: join(c.dir, 'missing'), file: '/bin/true', args: [] }).done;
  assert.deepEqual(r3, { kind: 'spawn-failed', message: `working folder ${join(c.dir, 'missing')} does not exist` });

  const d = jobDir();
  const r4 = await startJobProcess({ ...d.opts, stdoutPath: join(d.dir, 'no', 'out.log'), file: '/bin/true', args: [] }).done;
  assert.equal(r4.kind, 'spawn-failed');
});

test('lots of output arrives complete and in order, multi-byte characters intact', T, async () => {
  const { opts, output } = jobDir();
  const job = startJobProcess({ ...opts, file: '/bin/sh', args: [join(FIXTURES, 'noisy.sh'), '20000'] });
  assert.deepEqual(await job.done, { kind: 'exited', code: 0 });
  assert.equal(output.stdout, readFileSync(opts.stdoutPath, 'utf8'));
  assert.equal(output.stderr, readFileSync(opts.stderrPath, 'utf8'));
  const lines = output.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 20000);
  assert.equal(lines[19999], 'out é 20000');
  assert.equal(output.stderr.trimEnd().split('\n').length, 4000);
});

test('pause stops every process of the tree (setsid grandchild included), resume continues, job completes', T, async () => {
  const { dir, opts, output } = jobDir();
  const job = startJobProcess({ ...opts, file: PYTHON, args: [join(FIXTURES, 'spawns-children.py'), dir, '80', '0.02'] });
  await waitFor(() => counts(dir).every((n) => n > 0), 3000, 'all three counting');
  const all = [job.pid, ...pids(dir)];

  job.pause();
  assert.equal(job.isPaused(), true);
  for (const pid of all) await waitFor(() => processState(pid) === 'T', 1000, `pid ${pid} stopped`);
  const frozen = counts(dir);
  await sleep(400);
  assert.deepEqual(counts(dir), frozen, 'no counter advanced while paused');
  for (const pid of all) assert.equal(processState(pid), 'T');
  assert.ok(frozen.every((n) => n < 80), 'paused before the end');

  job.resume();
  assert.equal(job.isPaused(), false);
  for (const pid of all) await waitFor(() => processState(pid) !== 'T', 1000, `pid ${pid} running`);

  assert.deepEqual(await job.done, { kind: 'exited', code: 0 });
  assert.deepEqual(counts(dir), [80, 80, 80]);
  assert.equal(output.stdout, 'main counted to 80\nchild exit 0\n');
});

test('while paused, a straggler carrying the job marker is stopped by the re-check', T, async () => {
  const { opts } = jobDir();
  const job = startJobProcess({ ...opts, file: '/bin/sh', args: [join(FIXTURES, 'slow.sh'), '30'], recheckMs: 100 });
  await waitFor(() => processState(job.pid) !== null);
  job.pause();
  const [name, value] = job.marker.split('=');
  const straggler = spawn('/bin/sleep', ['30'], { env: { ...process.env, [name]: value }, stdio: 'ignore' });
  await waitFor(() => processState(straggler.pid!) === 'T', 1500, 'straggler stopped');
  await job.kill(1000);
  await waitFor(() => !isAlive(straggler.pid!), 1500, 'straggler gone after kill');
});

test('kill ends the whole tree, even while paused, and reports the SIGTERM', T, async () => {
  const { dir, opts } = jobDir();
  const job = startJobProcess({ ...opts, file: PYTHON, args: [join(FIXTURES, 'spawns-children.py'), dir, '1000', '0.05'] });
  await waitFor(() => counts(dir).every((n) => n > 0), 3000, 'all three counting');
  const all = [job.pid, ...pids(dir)];
  job.pause();
  for (const pid of all) await waitFor(() => processState(pid) === 'T', 1000, `pid ${pid} stopped`);

  const started = Date.now();
  const exit = await job.kill(2000);
  assert.ok(Date.now() - started < 1500, 'SIGTERM was enough, no grace period waited');
  assert.deepEqual(exit, { kind: 'signaled', signal: 'SIGTERM' });
  for (const pid of all) assert.equal(isAlive(pid), false, `pid ${pid} left alive`);
  assert.equal(job.isPaused(), false);
});

test('kill escalates to SIGKILL after the grace period when SIGTERM is ignored', T, async () => {
  const { opts, output } = jobDir();
  const job = startJobProcess({ ...opts, file: '/bin/sh', args: [join(FIXTURES, 'slow.sh'), '30'], env: { IGNORE_TERM: '1' } });
  await waitFor(() => output.stdout.includes('tick 0'), 3000, 'first tick');
  const started = Date.now();
  const exit = await job.kill(300);
  const took = Date.now() - started;
  assert.ok(took >= 300 && took < 2000, `took ${took} ms`);
  assert.equal(exit.kind, 'signaled');
  assert.equal(isAlive(job.pid), false);
});

test('readExitStatus maps codes, signals and a missing file', () => {
  const { dir } = jobDir();
  const missing = join(dir, 'none');
  assert.deepEqual(readExitStatus(missing, { code: null, signal: 'SIGKILL' }), { kind: 'signaled', signal: 'SIGKILL' });
  assert.deepEqual(readExitStatus(missing, { code: null, signal: null }), { kind: 'signaled', signal: 'unknown' });
});

test('a restarted agent adopts a paused job whose agent was SIGKILLed, continues it and gets its exit code', { timeout: 15_000 }, async () => {
  const { dir, opts, output } = jobDir();
  const { onOutput: _unused, ...plain } = opts;
  const startOpts = { ...plain, file: PYTHON, args: [join(FIXTURES, 'spawns-children.py'), dir, '40', '0.02'] };
  const agent = spawn(process.execPath, ['--import', 'tsx', join(FIXTURES, 'agent-that-crashes.ts'), JSON.stringify(startOpts)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const agentExited = new Promise((r) => agent.once('exit', r));
  try {
    let said = '';
    agent.stdout.on('data', (d) => (said += d));
    const { pid, pgid } = JSON.parse(await waitFor(() => said.includes('\n') && said.split('\n')[0], 8000, 'crashing agent to start the job'));
    await waitFor(() => counts(dir).every((n) => n > 0), 3000, 'all three counting');
    agent.kill('SIGUSR1');
    await waitFor(() => said.includes('paused'), 3000, 'agent to pause the job');
    const all = [pid, ...pids(dir)];
    for (const p of all) await waitFor(() => processState(p) === 'T', 1000, `pid ${p} stopped`);
    agent.kill('SIGKILL');
    await agentExited;
    await sleep(200);
    for (const p of all) assert.equal(processState(p), 'T', 'the job outlived its agent, still stopped');

    const job = adoptJobProcess({ pid, pgid, exitCodePath: opts.exitCodePath, stdoutPath: opts.stdoutPath, stderrPath: opts.stderrPath, onOutput: opts.onOutput, tailFrom: 'start' });
    assert.equal(job.marker, jobMarker(opts.exitCodePath));
    for (const p of pids(dir)) await waitFor(() => processState(p) !== 'T', 1000, `pid ${p} continued`);
    assert.deepEqual(await job.done, { kind: 'exited', code: 0 });
    assert.deepEqual(counts(dir), [40, 40, 40]);
    assert.equal(output.stdout, 'main counted to 40\nchild exit 0\n');
  } finally {
    agent.kill('SIGKILL');
  }
});

test('adopting a job that already ended reads its exit code file', T, async () => {
  const { opts } = jobDir();
  const first = startJobProcess({ ...opts, file: '/bin/sh', args: [join(FIXTURES, 'fail.sh')] });
  await first.done;
  const job = adoptJobProcess({ pid: first.pid, pgid: first.pgid, exitCodePath: opts.exitCodePath, stdoutPath: opts.stdoutPath, stderrPath: opts.stderrPath });
  assert.deepEqual(await job.done, { kind: 'exited', code: 3 });
});

// A shell job (`/bin/sh -c CMD`) is its own wrapper: one shell, the same exit status and file.
const shellJob = (cmd: string) => ({ file: '/bin/sh', args: ['-c', cmd] });

test('a shell job runs as one shell: it is the group leader, its $$, and records its status', T, async () => {
  const { dir, opts, output } = jobDir();
  const job = startJobProcess({ ...opts, ...shellJob(`echo "$$ $PPID" > ${join(dir, 'ids')}; echo out; echo err >&2; exit 7`) });
  assert.deepEqual(await job.done, { kind: 'exited', code: 7 });
  const [self, parent] = read(join(dir, 'ids')).split(' ').map(Number);
  assert.equal(self, job.pid, "the job's $$ is the process the agent started (no wrapper around it)");
  assert.equal(parent, process.pid);
  assert.equal(read(opts.exitCodePath), '7', 'the status is recorded for an agent that adopts the job');
  assert.deepEqual(output, { stdout: 'out\n', stderr: 'err\n' });

  const ok = jobDir();
  assert.deepEqual(await startJobProcess({ ...ok.opts, ...shellJob('true') }).done, { kind: 'exited', code: 0 });
  assert.equal(read(ok.opts.exitCodePath), '0');
});

test("a shell job's errors keep their own line numbers; a syntax error is exit 2", T, async () => {
  const { opts, output } = jobDir();
  assert.deepEqual(await startJobProcess({ ...opts, ...shellJob('true\nno-such-command-4711') }).done, { kind: 'exited', code: 127 });
  assert.match(output.stderr, /^\/bin\/sh: 2: no-such-command-4711: not found$/m);
  const bad = jobDir();
  assert.deepEqual(await startJobProcess({ ...bad.opts, ...shellJob('if then') }).done, { kind: 'exited', code: 2 });
});

test('a killed shell job is SIGTERM, recorded as 143 once its command ended; kill $$ too', T, async () => {
  const { opts } = jobDir();
  const job = startJobProcess({ ...opts, ...shellJob('sleep 30; echo not reached') });
  await waitFor(() => processState(job.pid) !== null);
  await sleep(100);
  assert.deepEqual(await job.kill(2000), { kind: 'signaled', signal: 'SIGTERM' });
  assert.equal(read(opts.exitCodePath), '143');

  const self = jobDir();
  assert.deepEqual(await startJobProcess({ ...self.opts, ...shellJob('kill $$; sleep 0; echo after') }).done, { kind: 'signaled', signal: 'SIGTERM' });
  assert.equal(self.output.stdout, '', 'the job ended at its own kill');
  const hard = jobDir();
  assert.deepEqual(await startJobProcess({ ...hard.opts, ...shellJob('kill -9 $$') }).done, { kind: 'signaled', signal: 'SIGKILL' });
});

test('a shell job that mentions exec or trap keeps the separate wrapper, which still records its status', T, async () => {
  const { dir, opts } = jobDir();
  const job = startJobProcess({ ...opts, ...shellJob(`echo $$ > ${join(dir, 'self')}; exec /bin/sh -c 'exit 4'`) });
  assert.deepEqual(await job.done, { kind: 'exited', code: 4 });
  assert.notEqual(Number(read(join(dir, 'self'))), job.pid, 'the job shell runs under the wrapper');
  assert.equal(read(opts.exitCodePath), '4', 'the wrapper recorded what the exec replaced the shell with');

  const trapped = jobDir();
  assert.deepEqual(await startJobProcess({ ...trapped.opts, ...shellJob("trap '' EXIT; exit 5") }).done, { kind: 'exited', code: 5 });
  assert.equal(read(trapped.opts.exitCodePath), '5');
});

test('an agent that adopts a running shell job gets its status from the file', T, async () => {
  const { dir, opts } = jobDir();
  const first = startJobProcess({ ...opts, ...shellJob(`while [ ! -e ${join(dir, 'go')} ]; do sleep 0.05; done; exit 6`) });
  await waitFor(() => processState(first.pid) !== null);
  const job = adoptJobProcess({ pid: first.pid, pgid: first.pgid, exitCodePath: opts.exitCodePath, stdoutPath: opts.stdoutPath, stderrPath: opts.stderrPath, pollMs: 50 });
  writeFileSync(join(dir, 'go'), '');
  assert.deepEqual(await job.done, { kind: 'exited', code: 6 });
  assert.deepEqual(await first.done, { kind: 'exited', code: 6 });
});
