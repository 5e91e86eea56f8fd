/**
 * How CLI commands reach the head: `--head URL` / `$DISTRIBUTE_HEAD` (default
 * http://127.0.0.1:8952) and `--token T` / `$DISTRIBUTE_TOKEN` (default: the admin token of the
 * local `distribute up` data folder, when readable). Failures become {@link CliError}s with the
 * exit code the command should end with.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';

export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3 } as const;

export class CliError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}

export interface HeadOptions {
  head?: string;
  token?: string;
}

/** Add --head and --token to a user command. */
export function withHeadOptions(cmd: Command): Command {
  return cmd
    .option('--head <url>', 'head URL (env DISTRIBUTE_HEAD, default http://127.0.0.1:8952)')
    .option('--token <token>', 'your token (env DISTRIBUTE_TOKEN; default: the local head\'s admin token)');
}

/** A port option's value (0 = any free port), or a usage error naming the option. */
export function parsePort(option: string, value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`${option}: '${value}' is not a port number`, EXIT.usage);
  return port;
}

export function defaultDataDir(): string {
  return process.env.DISTRIBUTE_DATA ?? path.join(os.homedir(), '.distribute', 'head');
}

export class HeadClient {
  readonly base: string;
  readonly token: string;

  constructor(opts: HeadOptions) {
    this.base = (opts.head ?? process.env.DISTRIBUTE_HEAD ?? 'http://127.0.0.1:8952').replace(/\/+$/, '');
    let token = opts.token ?? process.env.DISTRIBUTE_TOKEN;
    if (!token) {
      try {
        token = fs.readFileSync(path.join(defaultDataDir(), 'admin-token'), 'utf8').trim();
      } catch { /* none */ }
    }
    if (!token) throw new CliError('no token: pass --token or set DISTRIBUTE_TOKEN (ask your admin for one: distribute user add NAME)', EXIT.usage);
    this.token = token;
  }

  url(p: string): string {
    return this.base + p;
  }

  async fetch(p: string, init: RequestInit = {}): Promise<Response> {
    try {
      return await fetch(this.url(p), { ...init, headers: { authorization: `Bearer ${this.token}`, ...(init.headers ?? {}) } });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(`cannot reach the head at ${this.base}: ${cause?.code ?? cause?.message ?? (err as Error).message}`, EXIT.unreachable);
    }
  }

  /** JSON request; non-2xx becomes a CliError carrying the head's message. */
  async json<T>(p: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
    const res = await this.fetch(p, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: init.body === undefined ? {} : { 'content-type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await res.text();
    let data: unknown;
    try {
      data = text ? JSON.parse(text) : {};
    } catch {
      data = { error: text.slice(0, 300) };
    }
    if (!res.ok) {
      const message = (data as { error?: string }).error ?? `HTTP ${res.status}`;
      const err = new CliError(message, EXIT.failed);
      (err as CliError & { status?: number; body?: unknown }).status = res.status;
      (err as CliError & { body?: unknown }).body = data;
      throw err;
    }
    return data as T;
  }
}

/** Run a command body and turn errors into messages and exit codes. */
export function action<A extends unknown[]>(name: string, fn: (...args: A) => Promise<number | void>) {
  return async (...args: A) => {
    try {
      const code = await fn(...args);
      process.exitCode = code ?? 0;
    } catch (err) {
      if (err instanceof CliError) {
        process.stderr.write(`distribute ${name}: ${err.message}\n`);
        process.exitCode = err.exitCode;
      } else {
        process.stderr.write(`distribute ${name}: ${(err as Error).stack ?? err}\n`);
        process.exitCode = EXIT.failed;
      }
    }
  };
}

/** Human durations for tables: 4s, 3m 12s, 2h 05m. */
export function human(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** `1 file`, `3 files`: a count with its noun in the right number. */
export function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}

export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** Plain text table with padded columns. */
export function table(rows: string[][]): string {
  if (!rows.length) return '';
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ')).join('\n') + '\n';
}
