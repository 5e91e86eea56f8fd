/**
 * One chaos run: a head and three agents (real processes), a batch of shell jobs, and faults
 * injected until the batch has ended (head SIGKILL, agent SIGKILL, SIGSTOP past the node timeout,
 * SIGTERM; see faults.ts). Then the checks of checks.ts, and re-runs put down to the faults that
 * caused them (runs.ts). Everything is derived from the seed, so a failing seed can be re-run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { routes } from '../shared/api/routes.ts';
import { api, cli } from '../test/helpers/cluster.ts';
import { addBatch, envFor, jobProcessesUnder, waitIdleNodes, writeShellBatch } from '../test/helpers/shell-batch.ts';
import { checkArchive, checkOutputs, checkPull, checkStateFiles, type Check, type Expected } from './checks.ts';
import { ChaosCluster } from './cluster.ts';
import { injectFaults, type Fault } from './faults.ts';
import { Rng } from './rng.ts';
import { attribute, readRuns, type Attribution } from './runs.ts';

export interface ChaosOptions {
  seed: number;
  jobs: number;
  agents: number;
  /** The run fails with fewer faults than this. */
  minFaults: number;
  nodeTimeoutMs: number;
  /** Gap between faults (ms). */
  gapMs: [number, number];
  /** How long each job sleeps (ms, drawn per job). */
  jobMs: [number, number];
  /** Give up (and fail) after this long. */
  timeoutMs: number;
  log: (line: string) => void;
  /** No faults at all: the baseline to compare the wall time with. */
  baseline?: boolean;
  /** Keep the temporary folder (default: removed when every check passed). */
  keep?: boolean;
}

export interface ChaosReport {
  seed: number;
  jobs: number;
  agents: number;
  nodeTimeoutMs: number;
  wallMs: number;
  faults: Fault[];
  attribution: Attribution;
  checks: Check[];
  ok: boolean;
  root: string;
}

/** Every incarnation's output into ROOT/logs/LABEL.log, so a kept folder can be read afterwards. */
function writeLogs(root: string, procs: { label: string; proc: { output: () => string } }[]): void {
  const dir = path.join(root, 'logs');
  fs.mkdirSync(dir, { recursive: true });
  for (const p of procs) fs.writeFileSync(path.join(dir, `${p.label.replace('#', '-')}.log`), p.proc.output());
}

/** What job `i` writes; a deterministic function of the seed. */
function expectedFor(rng: Rng, job: string, jobMs: [number, number]): Expected & { sleepMs: number } {
  const token = Math.floor(rng.next() * 2 ** 32).toString(16).padStart(8, '0');
  return { out: `${job} ${token}\n`, blobBytes: rng.int(1, 256) * 1024, stdout: `hello from ${job} ${token}\n`, sleepMs: rng.int(jobMs[0], jobMs[1]) };
}

/** The blob job `job` writes: `yes JOB | head -c BYTES`. */
function blob(job: string, bytes: number): Buffer {
  const line = Buffer.from(`${job}\n`);
  return Buffer.concat(Array.from({ length: Math.ceil(bytes / line.length) }, () => line)).subarray(0, bytes);
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const rng = new Rng(opts.seed);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `distribute-chaos-${opts.seed}-`));
  const counter = path.join(root, 'runs.txt');
  const started = Date.now();
  const cluster = new ChaosCluster(root, `${opts.nodeTimeoutMs / 1000}s`, opts.agents);
  const checks: Check[] = [];
  let faults: Fault[] = [];
  const expected = new Map<string, Expected>();
  const jobs = Array.from({ length: opts.jobs }, (_, i) => {
    const name = `j${i + 1}`;
    const e = expectedFor(rng, name, opts.jobMs);
    expected.set(name, e);
    return {
      name,
      command: `echo "$DISTRIBUTE_JOB $(date +%s%3N) $DISTRIBUTE_JOB_MARKER" >> ${counter}; sleep ${(e.sleepMs / 1000).toFixed(3)}; `
        + `printf '%s' '${e.out.trimEnd()}' > distribute_save/out.txt; echo >> distribute_save/out.txt; `
        + `yes ${name} | head -c ${e.blobBytes} > distribute_save/blob.bin; echo '${e.stdout.trimEnd()}'`,
    };
  });
  try {
    await cluster.startHead();
    for (const a of cluster.agents) cluster.startAgent(a);
    await waitIdleNodes(cluster.head, opts.agents, 60_000);
    const config = writeShellBatch(root, { name: 'chaos', namespace: 'chaos', jobs });
    const { id } = await addBatch(cluster.head, config);
    opts.log(`seed ${opts.seed}: batch ${id} with ${opts.jobs} jobs on ${opts.agents} agents, node timeout ${opts.nodeTimeoutMs} ms`);

    // Watch the batch (the head may be down: then it just is not over yet).
    let ended: any = null;
    const watch = setInterval(() => {
      void api(cluster.head, routes.batch(id)).then((r) => { if (r.status === 200 && r.body.phase === 'ended') ended = r.body; }, () => {});
    }, 1000);
    const deadline = started + opts.timeoutMs;
    faults = opts.baseline ? [] : await injectFaults(cluster, rng, {
      nodeTimeoutMs: opts.nodeTimeoutMs, gapMs: opts.gapMs, log: opts.log,
      done: () => ended !== null || Date.now() > deadline,
    });
    while (!ended && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    clearInterval(watch);
    const wallMs = Date.now() - started;
    if (!ended) {
      const now = (await api(cluster.head, routes.batch(id)).catch(() => null))?.body;
      checks.push({ name: 'batch ended, every job succeeded', ok: false, detail: `not ended after ${opts.timeoutMs} ms: ${JSON.stringify(now?.counts ?? null)}` });
    } else {
      const ok = ended.outcome === 'finished' && ended.counts.succeeded === opts.jobs;
      checks.push({ name: 'batch ended, every job succeeded', ok, detail: JSON.stringify(ended.counts) });
    }
    checks.push({
      name: `at least ${opts.minFaults} faults, each handled cleanly`,
      ok: faults.length >= opts.minFaults && faults.every((f) => !f.problem),
      detail: `${faults.length} faults${faults.some((f) => f.problem) ? `; ${faults.filter((f) => f.problem).map((f) => f.problem).join('; ')}` : ''}`,
    });

    const batchDir = path.join(cluster.dataDir, 'archive', 'chaos', 'chaos');
    checks.push(checkArchive(batchDir, expected, blob));
    const pulled = path.join(root, 'pulled');
    const pull = await cli(['pull', config, '--out', pulled], envFor(cluster.head));
    checks.push(pull.code === 0 ? checkPull(batchDir, path.join(pulled, 'chaos', 'chaos'))
      : { name: 'pull byte-identical to the archive', ok: false, detail: `pull exited ${pull.code}: ${pull.stderr.slice(0, 300)}` });

    const attribution = attribute(readRuns(counter, (marker) => cluster.agents.find((a) => marker.startsWith(a.workdir + path.sep))?.name ?? 'unknown'), faults.map((f) => ({ ...f })));
    const headOnly = attribution.reruns['head SIGKILL'];
    checks.push({
      name: 'no re-run caused by a head restart alone', ok: headOnly === 0 && attribution.reruns.unexplained === 0,
      detail: attribution.suspicious.length ? attribution.suspicious.slice(0, 5).join('; ') : 'every re-run follows a fault of the node that ran the job',
    });

    const exits = await cluster.shutdown();
    const unclean = exits.filter((e) => e.code !== 0);
    checks.push({ name: 'agents and head stop cleanly', ok: unclean.length === 0, detail: unclean.length ? unclean.map((e) => `${e.label} exited ${e.code}`).join(', ') : `${exits.length} processes exit 0` });
    const orphans = jobProcessesUnder(root);
    const stillUp = cluster.procs.filter((p) => p.proc.child.exitCode === null && p.proc.child.signalCode === null);
    checks.push({ name: 'no orphan processes', ok: orphans.length === 0 && stillUp.length === 0, detail: orphans.length || stillUp.length ? `job pids ${orphans.join(',') || '-'}; running: ${stillUp.map((p) => p.label).join(',') || '-'}` : 'none' });
    for (const pid of orphans) process.kill(pid, 'SIGKILL');
    checks.push(checkOutputs(cluster.procs.map((p) => ({ label: p.label, text: p.proc.output() }))));
    checks.push(checkStateFiles([cluster.dataDir, ...cluster.agents.map((a) => a.workdir)]));

    const ok = checks.every((c) => c.ok);
    if (ok && !opts.keep) fs.rmSync(root, { recursive: true, force: true });
    else writeLogs(root, cluster.procs);
    return { seed: opts.seed, jobs: opts.jobs, agents: opts.agents, nodeTimeoutMs: opts.nodeTimeoutMs, wallMs, faults, attribution, checks, ok, root };
  } finally {
    // Whatever happened, leave nothing running.
    for (const p of cluster.procs) if (p.proc.child.exitCode === null && p.proc.child.signalCode === null) { p.proc.child.kill('SIGCONT'); p.proc.child.kill('SIGKILL'); }
    for (const pid of jobProcessesUnder(root)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
  }
}
