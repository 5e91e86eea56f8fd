/**
 * Rough edges a new user meets, against a real head: tokens from files and data folders, refusals
 * that say which token was refused, --head without a scheme, output into a closed pipe, an agent
 * whose output pipe is gone still handing its job back on Ctrl-C, a taken port, the `up` banner.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { BIN, cli, PYTHON, startAgentProc, startHeadProc, stop, tempDir, waitBatchEnded, waitFor, type HeadProc } from '../helpers/cluster.ts';
import { addBatch, jobOf, jobProcessesUnder, waitIdleNodes, writeShellBatch } from '../helpers/shell-batch.ts';

let head: HeadProc;
const tmp = tempDir('cli-edges');
const children: ReturnType<typeof spawn>[] = [];
const workdirs: string[] = [];
/** No DISTRIBUTE_* from the caller's shell, and no default data folder to fall back on. */
const CLEAN = { DISTRIBUTE_HEAD: '', DISTRIBUTE_TOKEN: '', DISTRIBUTE_TOKEN_FILE: '', DISTRIBUTE_DATA: path.join(tmp, 'no-such-head') };

before(async () => {
  head = await startHeadProc(tempDir('cli-edges-head'), { nodeTimeout: '60s' });
});

after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const wd of workdirs) for (const pid of jobProcessesUnder(wd)) process.kill(pid, 'SIGKILL');
  await stop(head);
});

/** Runs the CLI with its stdout (and stderr when `both`) already closed by the reader. */
function runIntoClosedPipe(args: string[], env: Record<string, string>, both = false): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    if (both) child.stderr.destroy();
    else child.stderr.on('data', (d) => { stderr += d; });
    child.on('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
}

test('every command that talks to the head takes --token-file and --data', async () => {
  const { COMMANDS } = await import('../../head/cli/commands.ts');
  const { Command } = await import('commander');
  const checked: string[] = [];
  const visit = (cmd: InstanceType<typeof Command>, name: string) => {
    const flags = cmd.options.map((o) => o.long);
    if (flags.includes('--token')) {
      assert.ok(flags.includes('--token-file'), `${name} takes --token but not --token-file`);
      assert.ok(flags.includes('--data'), `${name} takes --token but not --data`);
      checked.push(name);
    }
    for (const sub of cmd.commands) visit(sub, `${name} ${sub.name()}`);
  };
  for (const load of Object.values(COMMANDS)) {
    const program = new Command();
    (await load()).register(program);
    for (const cmd of program.commands) visit(cmd, cmd.name());
  }
  for (const name of ['status', 'nodes list', 'nodes rm', 'add', 'pull', 'user add', 'user list', 'token rotate-enrollment', 'pause', 'wait']) assert.ok(checked.includes(name), `${name} was checked`);
});

test('--token-file, $DISTRIBUTE_TOKEN_FILE and --data DIR supply the token; user add works on the head machine with --data', async () => {
  const file = path.join(tmp, 'my-token');
  fs.writeFileSync(file, `${head.adminToken}\n`);
  const viaFile = await cli(['nodes', '--json', '--head', head.url, '--token-file', file], CLEAN);
  assert.equal(viaFile.code, 0, viaFile.stderr);
  assert.ok(Array.isArray(JSON.parse(viaFile.stdout)), viaFile.stdout);
  const viaEnv = await cli(['nodes', '--json', '--head', head.url], { ...CLEAN, DISTRIBUTE_TOKEN_FILE: file });
  assert.equal(viaEnv.code, 0, viaEnv.stderr);

  const added = await cli(['user', 'add', 'dora', '--json', '--head', head.url, '--data', head.dataDir], CLEAN);
  assert.equal(added.code, 0, added.stderr);
  assert.match(JSON.parse(added.stdout).token, /\S{16,}/);

  const noToken = await cli(['nodes', '--head', head.url], CLEAN);
  assert.equal(noToken.code, 2);
  assert.match(noToken.stderr, /no token: .*--token-file.*--data DIR/);
  const missingFile = await cli(['nodes', '--head', head.url, '--token-file', path.join(tmp, 'absent')], CLEAN);
  assert.equal(missingFile.code, 2);
  assert.match(missingFile.stderr, /--token-file: cannot read '.*absent': ENOENT/);
  const wrongData = await cli(['user', 'add', 'eve', '--head', head.url, '--data', tmp], CLEAN);
  assert.equal(wrongData.code, 2);
  assert.match(wrongData.stderr, /--data: no admin token at .*admin-token/);
});

test('a refused token says where it came from', async () => {
  const file = path.join(tmp, 'stale-token');
  fs.writeFileSync(file, 'usr_stale\n');
  const cases: [string[], Record<string, string>, RegExp][] = [
    [['--token', 'usr_wrong'], {}, /invalid token \(the token from --token\)/],
    [['--token-file', file], {}, new RegExp(`invalid token \\(the token from --token-file ${file}\\)`)],
    [[], { DISTRIBUTE_TOKEN: 'usr_wrong' }, /invalid token \(the token from \$DISTRIBUTE_TOKEN\)/],
  ];
  for (const [args, env, expected] of cases) {
    const r = await cli(['status', '--head', head.url, ...args], { ...CLEAN, ...env });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, expected);
  }
});

test('--head without a scheme means http://; a non-http URL is a usage error with an example', async () => {
  const bare = head.url.replace(/^http:\/\//, '');
  const ok = await cli(['status', '--json', '--head', bare, '--token', head.adminToken], CLEAN);
  assert.equal(ok.code, 0, ok.stderr);
  const env = await cli(['status', '--json', '--token', head.adminToken], { ...CLEAN, DISTRIBUTE_HEAD: bare });
  assert.equal(env.code, 0, env.stderr);
  const bad = await cli(['status', '--head', 'ftp://lab', '--token', 'x'], CLEAN);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--head: 'ftp:\/\/lab' is not an http:\/\/ or https:\/\/ URL \(expected e\.g\. http:\/\/lab-server:8952\)/);
});

test('output into a closed pipe ends quietly: no stack trace, exit 0, the batch still added', async () => {
  const env = { ...CLEAN, DISTRIBUTE_HEAD: head.url, DISTRIBUTE_TOKEN: head.adminToken };
  const wd = tempDir('cli-edges-pipe');
  const agent = startAgentProc(head, 'piper', wd, ['--control-port', '0']);
  try {
    await waitIdleNodes(head, 1);
    const nodes = await runIntoClosedPipe(['nodes'], env);
    assert.deepEqual([nodes.code, nodes.signal, nodes.stderr], [0, null, '']);
    const file = writeShellBatch(tmp, { name: 'piped', jobs: [{ name: 'a', command: 'true' }] });
    const add = await runIntoClosedPipe(['add', file], env);
    assert.deepEqual([add.code, add.signal, add.stderr], [0, null, '']);
    const status = await cli(['status', 'piped', '--json'], env);
    assert.equal(JSON.parse(status.stdout).name, 'piped', 'the batch was added before the output failed');
    await waitBatchEnded(head, 'piped');
    // `add … 2>&1 | head -1`: progress and messages on a closed stderr are dropped, the work goes on.
    const both = writeShellBatch(tmp, { name: 'piped-both', jobs: [{ name: 'a', command: 'true' }] });
    const addBoth = await runIntoClosedPipe(['add', both], env, true);
    assert.deepEqual([addBoth.code, addBoth.signal], [0, null]);
    await waitBatchEnded(head, 'piped-both');
    const refused = await runIntoClosedPipe(['status', 'no-such-batch'], env, true);
    assert.deepEqual([refused.code, refused.signal], [1, null], 'a failure keeps its exit code when its message cannot be shown');
  } finally {
    await stop(agent);
  }
});

test('an agent whose output pipe is closed keeps working and hands its job back on Ctrl-C', async () => {
  const wd = tempDir('cli-edges-agent');
  workdirs.push(wd);
  const child = spawn(process.execPath, [BIN, 'agent', '--head', head.url, '--token-file', head.agentTokenFile, '--workdir', wd, '--name', 'mute', '--python', PYTHON, '--control-port', '0'],
    { env: { ...process.env, ...CLEAN }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  child.stdout.destroy();
  child.stderr.destroy();
  const exited = new Promise<[number | null, string | null]>((resolve) => child.on('exit', (code, signal) => resolve([code, signal])));
  await waitFor(async () => (await cli(['nodes', '--json'], { ...CLEAN, DISTRIBUTE_HEAD: head.url, DISTRIBUTE_TOKEN: head.adminToken })).stdout.includes('"mute"'), 20_000);
  await waitIdleNodes(head, 1);
  const file = writeShellBatch(tmp, { name: 'mute-run', jobs: [{ name: 'long', command: 'sleep 60' }] });
  const { id } = await addBatch(head, file);
  await waitFor(async () => (await jobOf(head, id, 'long')).state === 'running', 20_000, () => 'the job never started');
  await waitFor(() => jobProcessesUnder(wd).length > 0, 10_000);
  child.kill('SIGINT');
  assert.deepEqual(await exited, [0, null], 'the agent stopped cleanly');
  assert.deepEqual(jobProcessesUnder(wd), [], 'the job was killed on the node');
  assert.equal((await jobOf(head, id, 'long')).state, 'queued', 'and handed back (well before the 60 s node timeout)');
  await cli(['kill', id], { ...CLEAN, DISTRIBUTE_HEAD: head.url, DISTRIBUTE_TOKEN: head.adminToken });
});

test('a taken port is one line with the --port hint, and the second head leaves its data folder alone', async () => {
  for (const command of ['server', 'up']) {
    const data = path.join(tmp, `second-${command}`);
    const r = await cli([command, '--port', String(head.port), '--data', data], CLEAN);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line:\n${r.stderr}`);
    assert.match(r.stderr, new RegExp(`distribute ${command}: port ${head.port} on 127\\.0\\.0\\.1 is already in use .*--port ${head.port + 1}`));
    assert.equal(fs.existsSync(data), false, 'the data folder was not created');
  }
});

test('the up banner says where the admin token for the dashboard is', async () => {
  const data = path.join(tmp, 'up-data');
  const child = spawn(process.execPath, [BIN, 'up', '--no-agent', '--port', '0', '--data', data], { env: { ...process.env, ...CLEAN }, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  await waitFor(() => /Ctrl-C stops/.test(err), 20_000, () => `no banner:\n${err}`);
  assert.match(err, new RegExp(`Dashboard: http://127\\.0\\.0\\.1:\\d+/ \\(sign in with the admin token in ${path.join(data, 'admin-token')}\\)`));
  // The hints name a command that works from any folder: not `npx distribute` (outside the checkout
  // npx fetches an unrelated package); this checkout's bin/distribute.js is not on the PATH here.
  assert.doesNotMatch(err, /npx/);
  assert.match(err, new RegExp(`^  node ${fs.realpathSync(BIN).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} status$`, 'm'));
  child.kill('SIGINT');
  await exited;
});
