/**
 * Test harness: real head and agent processes (`node bin/distribute.js server|agent`, which runs
 * the compiled dist/ code; built.ts rebuilds it when stale) on loopback, temp folders, and small
 * helpers to run the CLI and wait for conditions.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BatchDetail, JobView } from '../../shared/api/head-api.ts';
import { HeadClient } from '../../shared/api/head-client.ts';
import { BIN, ROOT } from './built.ts';
import { watchHead, type HeadWatch } from './head-watch.ts';

export { BIN, ROOT };
export const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `distribute-${prefix}-`));
}

export interface Proc {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startProc(args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

export interface HeadProc extends Proc { url: string; dataDir: string; adminToken: string; agentTokenFile: string; port: number }

export async function startHeadProc(dataDir: string, opts: { port?: number; nodeTimeout?: string; extra?: string[] } = {}): Promise<HeadProc> {
  const p = startProc(['server', '--data', dataDir, '--port', String(opts.port ?? 0), '--node-timeout', opts.nodeTimeout ?? '3s', ...(opts.extra ?? [])]);
  const url = await waitFor(() => /listening on (https?:\/\/\S+)/.exec(p.output())?.[1], 20_000, () => `head did not start:\n${p.output()}`);
  return {
    ...p, url, dataDir, port: Number(new URL(url).port),
    adminToken: fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim(),
    agentTokenFile: path.join(dataDir, 'agent-token'),
  };
}

export function startAgentProc(head: { url: string; agentTokenFile: string }, name: string, workdir: string, extra: string[] = []): Proc {
  return startProc(['agent', '--head', head.url, '--token-file', head.agentTokenFile, '--workdir', workdir, '--name', name, '--python', PYTHON, '--tag', 'python3', ...extra]);
}

export interface CliResult { code: number | null; stdout: string; stderr: string }

export function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, DISTRIBUTE_DATA: '/nonexistent', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Poll `fn` until it returns a truthy value. */
export async function waitFor<T>(fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs: number, message: () => string = () => 'timed out'): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(message());
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The typed client of shared/api for `head`, as the admin or with `token`. */
export function headClient(head: { url: string; adminToken: string }, token?: string): HeadClient {
  return new HeadClient({ base: head.url, token: token ?? head.adminToken });
}

/**
 * A raw request, for tests that probe the HTTP layer itself (statuses, refusals, bad bodies);
 * everything else goes through {@link headClient}.
 */
export async function api<T = any>(head: { url: string; adminToken: string }, p: string, init: { method?: string; body?: unknown; token?: string } = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(head.url + p, {
    method: init.method ?? (init.body ? 'POST' : 'GET'),
    headers: { authorization: `Bearer ${init.token ?? head.adminToken}`, ...(init.body ? { 'content-type': 'application/json' } : {}) },
    body: init.body ? JSON.stringify(init.body) : undefined,
  });
  const text = await res.text();
  let body: any;
  try { body = JSON.parse(text); } catch { body = text; }
  return { status: res.status, body };
}

type DoneJob = Extract<BatchDetail['jobs'][number], { state: 'done' }>;
/** A batch whose every job is done, as {@link waitBatchEnded} returns it. */
export type EndedBatch = Omit<BatchDetail, 'jobs' | 'endedAt'> & { endedAt: number; jobs: DoneJob[] };

/** The batch narrowed to {@link EndedBatch}, or null while it has not ended. */
function asEnded(b: BatchDetail): EndedBatch | null {
  if (b.phase !== 'ended' || b.endedAt === null) return null;
  const jobs = b.jobs.filter((j): j is DoneJob => j.state === 'done');
  if (jobs.length !== b.jobs.length) throw new Error(`batch ${b.name} ended with jobs not done: ${JSON.stringify(b.jobs.filter((j: JobView) => j.state !== 'done'))}`);
  return { ...b, endedAt: b.endedAt, jobs };
}

/** The shortest wait of {@link waitBatchEnded}. */
export const MIN_BATCH_WAIT_MS = 60_000;

/**
 * Wait until the batch `ref` has no unfinished job; returns its details. Waits on the head's live
 * feed (head-watch.ts) for the batch to end, so it answers within a frame of the end whatever the
 * load; if the feed is not available (the head restarts meanwhile), it polls instead. The timeout
 * is never less than {@link MIN_BATCH_WAIT_MS}: it only decides how long a broken test hangs, and a
 * loaded CI machine runs jobs several times slower than a quiet one (a test that asserts speed
 * measures the time itself).
 */
export async function waitBatchEnded(head: { url: string; adminToken: string }, ref: string, requestedMs = 60_000): Promise<EndedBatch> {
  const timeoutMs = Math.max(requestedMs, MIN_BATCH_WAIT_MS);
  const client = headClient(head);
  const deadline = Date.now() + timeoutMs;
  const check = async () => {
    const r = await client.batch(ref);
    return r.ok ? { ended: asEnded(r.value), id: r.value.id } : null;
  };
  let watch: HeadWatch | null = null;
  try {
    watch = await watchHead(head);
    // Looked at after subscribing: an end between the two is in the feed.
    const now = await check();
    if (now?.ended) return now.ended;
    if (now) {
      await watch.until((v) => v.batches.get(now.id)?.phase === 'ended', `batch ${ref} to end`, Math.max(0, deadline - Date.now()));
      const after = await check();
      if (after?.ended) return after.ended;
    }
  } catch (err) {
    if (Date.now() >= deadline) throw new Error(`batch ${ref} did not end in ${timeoutMs} ms (${(err as Error).message})`);
  } finally {
    watch?.close();
  }
  return waitFor(async () => (await check())?.ended, Math.max(0, deadline - Date.now()), () => `batch ${ref} did not end in ${timeoutMs} ms`);
}

export async function stop(p: Proc, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill(signal);
  await p.exited;
}

/** Every file under `dir` (relative paths, sorted). */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(d, e.name), r);
      else out.push(r);
    }
  };
  if (fs.existsSync(dir)) walk(dir, '');
  return out.sort();
}
