/**
 * The generated folder on a real SLURM: a single-node cluster from ../shared/slurm/slurm-local-up.sh
 * (Debian's slurm-wlm; needs root). If `sinfo` does not answer, the test runs the up script itself
 * (about 10 s with packages to install, under 1 s without) and stops the cluster again with
 * slurm-local-down.sh at the end; a cluster that was already up (CI starts it before the tests) is
 * left running. Skipped, with the reason, when not root, or when no SLURM answers and the up script
 * is absent (a clone without ../shared/slurm). SLURM_LOCAL_SCRIPTS overrides the folder of the
 * up/down scripts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { runSlurm } from '../../head/cli/slurm.ts';
import { checkOutputs, JOB_NAMES, PYTHON, writePythonBatch } from './slurm-fixture.ts';

const SCRIPTS = process.env.SLURM_LOCAL_SCRIPTS ?? fileURLToPath(new URL('../../../shared/slurm/', import.meta.url));
const TIMEOUT_MS = 120_000;
const TERMINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'NODE_FAIL', 'PREEMPTED', 'OUT_OF_MEMORY', 'BOOT_FAIL', 'DEADLINE']);

const isRoot = process.getuid?.() === 0;
const UP = join(SCRIPTS, 'slurm-local-up.sh');

function sinfoAnswers(): boolean {
  // scontrol ping answers at once; sinfo alone retries for ~9 s when no controller runs.
  const ping = spawnSync('scontrol', ['ping'], { encoding: 'utf8', timeout: 10_000 });
  if (ping.status !== 0 || !/is UP/.test(ping.stdout)) return false;
  const r = spawnSync('sinfo', ['-h', '-o', '%T'], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 && /idle|mixed|allocated|completing/.test(r.stdout);
}

function run(file: string, args: string[] = [], cwd?: string): { status: number | null; out: string } {
  const r = spawnSync(file, args, { cwd, encoding: 'utf8', timeout: 180_000 });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/** State of every task of `ids` (array tasks as `<id>_<i>`); finished jobs stay listed for MinJobAge. */
function states(ids: string[]): Map<string, string> {
  const r = spawnSync('squeue', ['-h', '-t', 'all', '-j', ids.join(','), '-o', '%i %T'], { encoding: 'utf8' });
  const map = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const [id, state] = line.trim().split(/\s+/);
    if (id && state) map.set(id, state);
  }
  return map;
}

/** Why the test cannot run here, or false: needs root, and a running SLURM or the script that starts one. */
function skipReason(): string | false {
  if (!isRoot) return 'needs root: slurm-local-up.sh installs and starts SLURM daemons (run the tests as root, as CI does)';
  if (!existsSync(UP) && !sinfoAnswers()) return `no SLURM answers and no ${UP} to start one (set SLURM_LOCAL_SCRIPTS to the folder of slurm-local-up.sh)`;
  return false;
}
const skip = skipReason();

test('the generated folder runs on a real SLURM: build once, then every job with its own files', { skip, timeout: 300_000 }, async (t) => {
  let startedHere = false;
  if (!sinfoAnswers()) {
    const t0 = Date.now();
    const r = run(UP);
    assert.equal(r.status, 0, `slurm-local-up.sh failed:\n${r.out}`);
    t.diagnostic(`slurm-local-up.sh took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    startedHere = true;
  }
  t.after(() => {
    if (startedHere) run(join(SCRIPTS, 'slurm-local-down.sh'));
  });

  const dir = mkdtempSync(join(tmpdir(), 'slurm-real-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'out');
  const sink = new Writable({ write(_c, _e, cb) { cb(); } });
  assert.equal(await runSlurm(writePythonBatch(dir), { out, runtime: 'apptainer', python: PYTHON, arrayLimit: '1000' }, sink, sink), 0);

  const submit = run(join(out, 'submit.sh'), [], '/');
  assert.equal(submit.status, 0, `submit.sh failed:\n${submit.out}`);
  const submitted = readFileSync(join(out, 'submitted.txt'), 'utf8').trim().split('\n').map((l) => l.split(' '));
  assert.deepEqual(submitted.map(([file]) => file), ['build.sbatch', 'jobs-1.sbatch', 'jobs-2.sbatch']);
  const ids = submitted.map(([, id]) => id);
  assert.ok(ids.every((id) => /^\d+$/.test(id)), `job ids parsed from sbatch --parsable: ${ids.join(' ')}`);

  // 1 build + 3 array tasks + 1 single job
  const started = Date.now();
  let last = new Map<string, string>();
  for (;;) {
    last = states(ids);
    const tasks = [...last.entries()].filter(([id]) => !id.includes('['));
    if (tasks.length >= 5 && tasks.every(([, s]) => TERMINAL.has(s))) break;
    if (Date.now() - started > TIMEOUT_MS) assert.fail(`jobs not finished after ${TIMEOUT_MS / 1000} s: ${JSON.stringify([...last])}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  t.diagnostic(`SLURM ran the batch in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const [buildId, arrayId, singleId] = ids;
  const logs = (): string => run('/bin/sh', ['-c', 'tail -n 20 logs/*'], out).out;
  assert.deepEqual(Object.fromEntries(last), {
    [buildId]: 'COMPLETED', [`${arrayId}_0`]: 'COMPLETED', [`${arrayId}_1`]: 'COMPLETED', [`${arrayId}_2`]: 'COMPLETED', [singleId]: 'COMPLETED',
  }, logs());
  checkOutputs(out, true);
  assert.equal(JOB_NAMES.length, 4);
  const single = readFileSync(join(out, 'jobs-2.sbatch'), 'utf8');
  assert.match(single, /#SBATCH --cpus-per-task=2\n/, 'the request became --cpus-per-task');
  assert.match(single, /#SBATCH --mem=256M\n/, 'the request became --mem');
});
