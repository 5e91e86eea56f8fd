/**
 * An agent killed in the instant between starting a job and saving its pid leaves the job running
 * with no record of it; the restarted agent gives the run up (the head runs it again) and must end
 * that unsupervised process instead of leaving it to run on: it finds it by its job marker. The
 * run may be recorded as not started yet, or not at all (a run is first saved when its job starts).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { isAlive } from '../../electron/agent/runner/process-tree.ts';
import { readSavedState } from '../../electron/agent/agent-store.ts';
import { startAgentProc, stop, tempDir, waitFor } from '../helpers/cluster.ts';

test('a restarted agent ends the job process its predecessor started but never recorded', async () => {
  const wd = tempDir('unrecorded');
  const runId = 'unrecorded01';
  const runDir = path.join(wd, 'runs', 'b1', `j1.${runId}`);
  fs.mkdirSync(runDir, { recursive: true });
  fs.writeFileSync(path.join(wd, 'agent-state.json'), JSON.stringify({
    built: [], recent: [], pause: null,
    run: { batch: { id: 'b1', name: 'b', namespace: 'ns', owner: 'o' }, spec: { name: 'j1', command: 'true', files: [] }, runId, attempt: 1, phase: 'downloading', startedAt: 1, pausedMs: 0 },
  }));
  const job = spawn('sleep', ['120'], { detached: true, stdio: 'ignore', env: { ...process.env, DISTRIBUTE_JOB_MARKER: path.join(runDir, 'exit-code') } });
  job.unref();
  // A run the state file does not name at all, its job started; and a process whose run folder is
  // gone (a finished run's daemon, say), which is left alone.
  const unnamedDir = path.join(wd, 'runs', 'b2', 'j7.unrecorded02');
  fs.mkdirSync(unnamedDir, { recursive: true });
  const unnamed = spawn('sleep', ['120'], { detached: true, stdio: 'ignore', env: { ...process.env, DISTRIBUTE_JOB_MARKER: path.join(unnamedDir, 'exit-code') } });
  unnamed.unref();
  const daemon = spawn('sleep', ['120'], { detached: true, stdio: 'ignore', env: { ...process.env, DISTRIBUTE_JOB_MARKER: path.join(wd, 'runs', 'b3', 'j1.gone', 'exit-code') } });
  daemon.unref();
  const token = path.join(wd, 'token');
  fs.writeFileSync(token, 'agt_x\n');
  const agent = startAgentProc({ url: 'http://127.0.0.1:1', agentTokenFile: token }, 'unrecorded', wd, ['--control-port', '0']);
  try {
    await waitFor(() => /ended 1 process\(es\) of b\/j1 that a previous agent process started but never recorded/.test(agent.output()), 30_000, () => agent.output());
    await waitFor(() => !isAlive(job.pid!), 30_000, () => 'the unrecorded job process still runs');
    await waitFor(() => /ended 1 process\(es\) of runs\/b2\/j7\.unrecorded02 that a previous agent process started but never recorded/.test(agent.output()), 30_000, () => agent.output());
    await waitFor(() => !isAlive(unnamed.pid!), 30_000, () => 'the job process of the run without a record still runs');
    assert.equal(isAlive(daemon.pid!), true, 'a process of a removed run folder is left alone');
    // The agent keeps its runs in runs[] since several share a node; the 0.1-style `run` is migrated into it.
    // The state is saved (migrated) at load and again once the run is given up, which may land
    // after the log line on a loaded machine: wait for the second save.
    const saved = () => readSavedState(path.join(wd, 'agent-state.json'))!;
    await waitFor(() => saved().runs?.length === 0, 30_000, () => `still held: ${JSON.stringify(saved().runs)}`);
    assert.deepEqual(saved().runs, [], 'the run is given up');
  } finally {
    await stop(agent);
    for (const p of [job, unnamed, daemon]) {
      try { process.kill(p.pid!, 'SIGKILL'); } catch { /* gone */ }
    }
  }
});
