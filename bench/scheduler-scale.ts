/**
 * Issue 3 benchmark: one batch of 10,000 trivial jobs scheduled over 50 simulated agents (one
 * process, real protocol, real sockets, one real 30-byte result per job, inline in job-finished as a
 * real agent sends small results, or uploaded over HTTP with BENCH_SIM_UPLOAD=1) against a head running in
 * its own process (bench/head-child.mjs, over the compiled head in dist/). Reports scheduling throughput, the head's CPU seconds and
 * peak RSS, event-loop delay, and bytes written per job — by the store (exact counter) and by the
 * head process in all (/proc/<pid>/io write_bytes: store + archive).
 *
 * Set BENCH_CPU_PROF=<dir> to write a V8 CPU profile of the head into <dir>; BENCH_SIM_AGENTS=n
 * simulates n agents instead of 50.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { tempDir } from '../test/helpers/cluster.ts';
import { EVENTS_PATH, routes } from '../shared/api/routes.ts';
import type { BatchSpec } from '../shared/batch/spec.ts';
import { PeakSampler, readProcStats } from './proc-stats.ts';
import { fixed, mib, since, type Bench, type BenchOptions, type BenchResult } from './report.ts';
import { SimAgent } from './sim-agent.ts';
import { archiveFloor } from './archive-floor.ts';

/**
 * Jobs run through the head before the measured batch (see the warm-up in `run`; `--quick`: a
 * quarter). After 500, V8 still optimized ~190 functions during the 10,000 measured jobs (about a
 * tenth of the head's CPU in a perf profile), after 2,000 about 100 (`--trace-opt`).
 */
const WARM_UP_JOBS = 2000;

/** libuv threads of the head (its file work blocks one each for the disk's time). */
const HEAD_THREADPOOL = 16;

interface Ready { type: 'ready'; url: string; adminToken: string; agentToken: string }

/** What bench/head-child.mjs answers a `stats` message with. */
export interface HeadChildStats {
  type: 'stats';
  /** Bytes the store wrote under `<data>/state/` since start. */
  storeBytes: number;
  cpuSeconds: number;
  /** Of those, in user space and in the kernel (file-system work is mostly the kernel's). */
  userSeconds: number;
  systemSeconds: number;
  maxRssBytes: number;
  /** Event-loop delay while the head ran (ms): how long a message could wait behind other work. */
  loopDelay: { p50: number; p99: number; max: number };
}

async function adminJson<T>(ready: Ready, p: string, body: unknown): Promise<T> {
  const res = await fetch(ready.url + p, { method: 'POST', headers: { authorization: `Bearer ${ready.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${p}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

export function batchSpec(name: string, jobs: number): BatchSpec {
  return {
    namespace: 'bench', name, kind: 'shell', capabilities: ['sim'], resources: {}, maxRetries: 0, requiredMounts: [], initFiles: [],
    jobs: Array.from({ length: jobs }, (_, i) => ({ name: `j${i}`, command: 'true', files: [] })),
  };
}

/** A dashboard's live event stream on the head: opened, counting its `live` frames until closed. */
function liveFeed(ready: Ready): { open: Promise<void>; frames: () => number; close: () => void } {
  let frames = 0;
  const req = http.get(`${ready.url}${EVENTS_PATH}?live`, { headers: { authorization: `Bearer ${ready.adminToken}` } });
  const open = new Promise<void>((resolve, reject) => {
    req.on('response', (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { frames += chunk.split('event: live\n').length - 1; });
      res.on('error', () => {});
      resolve();
    });
    req.on('error', reject);
  });
  return { open, frames: () => frames, close: () => req.destroy() };
}

/** Simulated agents: 50, or BENCH_SIM_AGENTS (1-500). */
function simAgentCount(): number {
  const raw = process.env.BENCH_SIM_AGENTS;
  if (raw === undefined || raw === '') return 50;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 500) throw new Error(`BENCH_SIM_AGENTS: '${raw}' is not a whole number from 1 to 500`);
  return n;
}

export async function run(opts: BenchOptions): Promise<BenchResult> {
  const jobs = opts.quick ? 2_000 : 10_000;
  const warmUpJobs = opts.quick ? WARM_UP_JOBS / 4 : WARM_UP_JOBS;
  // BENCH_SIM_AGENTS=2: the head's CPU per job when two agents feed it, as in the peers benchmark
  // (one message per wake-up, a scheduling pass and a journal sync for about every other job).
  const agentCount = simAgentCount();
  const dir = tempDir('bench-scale');
  const profDir = process.env.BENCH_CPU_PROF;
  const child = fork(path.join(import.meta.dirname, 'head-child.mjs'), [path.join(dir, 'data')], {
    execArgv: [...(profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : []), ...(process.env.BENCH_HEAD_NODE_ARGS?.split(' ').filter(Boolean) ?? [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    // As the head's systemd unit sets it (head/cli/service-units.ts); a caller's own setting wins.
    env: { ...process.env, UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? String(HEAD_THREADPOOL) },
  });
  const messages: Array<(m: unknown) => void> = [];
  child.on('message', (m) => messages.shift()?.(m));
  const next = <T>() => new Promise<T>((resolve) => messages.push(resolve as (m: unknown) => void));
  const stats = () => { const p = next<HeadChildStats>(); child.send({ type: 'stats' }); return p; };
  const agents: SimAgent[] = [];
  try {
    const ready = await next<Ready>();
    const pid = child.pid!;
    for (let i = 0; i < agentCount; i++) agents.push(new SimAgent(`sim-${String(i).padStart(2, '0')}`, ready.url, ready.agentToken));
    await Promise.all(agents.map((a) => a.connect()));

    // Warm-up: a head runs for days, so the figures are its steady state, not V8 compiling the
    // hot paths on their first thousand calls (about 0.3 s of CPU in a fresh head).
    let acked = 0;
    let waiting = (): void => {};
    for (const a of agents) a.onAck = () => { acked++; waiting(); };
    const runBatch = async (name: string, count: number): Promise<void> => {
      const target = acked + count;
      const done = new Promise<void>((resolve) => { waiting = () => { if (acked >= target) resolve(); }; });
      const created = await adminJson<{ id: string }>(ready, routes.batches(), { spec: batchSpec(name, count), replace: false });
      await adminJson(ready, routes.batchSubmit(created.id), {});
      await done;
    };
    opts.log(`scheduler-scale: warm-up batch of ${warmUpJobs} jobs`);
    await runBatch('warm-up', warmUpJobs);
    for (const a of agents) a.archived = a.ahead = 0;
    // Its last coalesced store writes land before the measured run starts.
    await new Promise((resolve) => setTimeout(resolve, 500));

    // BENCH_LIVE_FEEDS=n: n dashboards follow the run (`GET /api/events?live`, as the page does).
    const feeds = Array.from({ length: Number(process.env.BENCH_LIVE_FEEDS ?? 0) }, () => liveFeed(ready));
    await Promise.all(feeds.map((f) => f.open));

    const before = await stats();
    const ioBefore = readProcStats(pid);
    const benchCpuBefore = process.cpuUsage();
    const mem = new PeakSampler(pid, 100);
    mem.mark();
    child.send({ type: 'reset-delay' });

    const loadStart = os.loadavg()[0].toFixed(1);
    opts.log(`scheduler-scale: submitting ${jobs} jobs to ${agentCount} simulated agents`);
    const start = performance.now();
    const ackedBefore = acked;
    const target = acked + jobs;
    const done = new Promise<void>((resolve) => { waiting = () => { if (acked >= target) resolve(); }; });
    const created = await adminJson<{ id: string }>(ready, routes.batches(), { spec: batchSpec('scale', jobs), replace: false });
    await adminJson(ready, routes.batchSubmit(created.id), {});
    const submitMs = since(start);
    const progress = setInterval(() => opts.log(`scheduler-scale: ${acked - ackedBefore}/${jobs} results archived`), 10_000);
    await done;
    const wallMs = since(start);
    clearInterval(progress);
    for (const f of feeds) f.close();
    const benchCpu = process.cpuUsage(benchCpuBefore);
    const { peakBytes: headPeak, growthBytes: headGrowth } = mem.peak();
    mem.stop();
    const proc = readProcStats(pid)!;
    const after = await stats();
    const errors = agents.flatMap((a) => a.errors);
    if (errors.length) throw new Error(`${errors.length} protocol errors, first: ${errors[0]}`);
    const archived = agents.reduce((s, a) => s + a.archived, 0);
    const perAgent = agents.map((a) => a.archived);

    // Let the coalesced store writes land, then count what reached the disk.
    const finalStats = next<HeadChildStats>();
    child.send({ type: 'close' });
    const final = await finalStats;
    await new Promise((resolve) => child.once('exit', resolve));
    const storeBytes = final.storeBytes - before.storeBytes;
    opts.log('scheduler-scale: the same archive file work alone, for comparison');
    const floor = await archiveFloor(jobs, dir, { upload: process.env.BENCH_SIM_UPLOAD === '1' });
    const ioBytes = proc.writeBytes !== null && ioBefore?.writeBytes != null ? proc.writeBytes - ioBefore.writeBytes : null;
    const cpu = after.cpuSeconds - before.cpuSeconds;
    const genCpu = (benchCpu.user + benchCpu.system) / 1e6;
    const rows = [
      ['measure', 'value'],
      ['jobs × simulated agents', `${jobs} × ${agentCount} (head: UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? HEAD_THREADPOOL})`],
      ['submit (create + submit, HTTP)', `${fixed(submitMs, 0)} ms`],
      ['wall, submit → last result archived', `${fixed(wallMs / 1000, 2)} s`],
      ['scheduling throughput', `${fixed(archived / (wallMs / 1000), 0)} jobs/s`],
      ['head CPU', `${fixed(cpu, 2)} s (${fixed((cpu * 1000) / jobs, 2)} ms per job)`],
      ['head CPU user / kernel', `${fixed(after.userSeconds - before.userSeconds, 2)} s / ${fixed(after.systemSeconds - before.systemSeconds, 2)} s`],
      ['of which archive file work (same calls alone, user / kernel)', `≈ ${fixed((floor.cpuSeconds * 1000) / jobs, 2)} ms per job (${fixed(floor.userSeconds, 2)} s / ${fixed(floor.systemSeconds, 2)} s)`],
      ['head peak RSS (VmHWM during the run)', `${mib(headPeak)} (${mib(headGrowth)} above the idle head's)`],
      ['head event-loop delay p50 / p99 / max', `${fixed(after.loopDelay.p50, 1)} / ${fixed(after.loopDelay.p99, 1)} / ${fixed(after.loopDelay.max, 0)} ms`],
      ['store bytes written per job (state/)', `${fixed(storeBytes / jobs, 0)} B (${mib(storeBytes)} in all)`],
      ['head bytes written per job (/proc io: store + archive)', ioBytes === null ? 'n/a' : `${fixed(ioBytes / jobs, 0)} B (${mib(ioBytes)} in all)`],
      ['jobs per agent (min / max)', `${Math.min(...perAgent)} / ${Math.max(...perAgent)}`],
      ['of them assigned ahead (a job in hand)', `${agents.reduce((n, a) => n + a.ahead, 0)}${process.env.BENCH_SIM_NO_AHEAD === '1' ? ' (BENCH_SIM_NO_AHEAD=1)' : ''}`],
      [`load generator CPU (${agentCount} sim agents, same 2 cores)`, `${fixed(genCpu, 2)} s (${fixed((genCpu * 1000) / jobs, 2)} ms per job)`],
      ['head + load generator CPU ÷ wall (2 cores = 2.0)', fixed((cpu + genCpu) / (wallMs / 1000), 2)],
      ['load average at start / end', `${loadStart} / ${os.loadavg()[0].toFixed(1)}`],
      ...(feeds.length ? [['dashboards following the run (live frames received each)', `${feeds.length} (${feeds.map((f) => f.frames()).join(', ')})`]] : []),
    ];
    return {
      title: `Scheduler scale: ${jobs} jobs, ${agentCount} simulated agents`,
      table: rows,
      notes: [
        'Head: `startHead()` of the compiled head (dist/, as `distribute server` runs it) in its own Node process (bench/head-child.mjs); agents: bench/sim-agent.ts, one WebSocket each, in the benchmark process. No python involved.',
        `Measured after a warm-up batch of ${warmUpJobs} jobs through the same head and agents (a head runs for days: its figures are its steady state, not V8 compiling its hot paths in the first second); every figure of the table is the measured batch's alone.`,
        process.env.BENCH_SIM_UPLOAD === '1'
          ? 'Each simulated job (BENCH_SIM_UPLOAD=1, as before inline results): assign → job-started → HTTP PUT of one 30-byte result file with its sha256 header → job-finished with the file list → result-ack (archived). The head does all its real work: transitions, coalesced lowdb writes, staging, archive commit with result.json.'
          : 'Each simulated job: assign → job-started → job-finished carrying its one 30-byte result file inline (base64, with size and sha256 on the file list, as a real agent sends results within the head\'s inline allowance; no HTTP request, no job-exited) → result-ack (archived). Like a real agent each says takesAhead, so the head may hand it its next job while it counts it busy (a job in hand), which it runs when the one before has ended (BENCH_SIM_NO_AHEAD=1: not). The head does all its real work: transitions, coalesced lowdb writes, staging, archive commit with result.json. BENCH_SIM_UPLOAD=1 uploads the file over HTTP instead.',
        'Archive file work: bench/archive-floor.ts makes the head\'s archive calls for each job (stageInline, or with BENCH_SIM_UPLOAD=1 receiveFile into staging and noteReceived; then checkStaged, commit) on the same disk, 50 at a time, with no HTTP, WebSocket, scheduling or store: the CPU the archive layout costs by itself.',
        'Store bytes come from the store\'s own counter (LowdbStore.bytesWritten()); the /proc figure also counts archive files and result.json, and only pages the kernel has flushed or dirtied by then.',
        'Both processes share the machine\'s 2 cores, so throughput is a lower bound for a head on its own machine: when head + load generator CPU ÷ wall is near 2.0 the cores are the limit, and head CPU per job is the figure to judge the head by. Other load on the machine (load average) takes cores from both.',
      ],
    };
  } finally {
    for (const a of agents) a.close();
    if (child.exitCode === null) child.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export const bench: Bench = { name: 'scheduler-scale', run };
