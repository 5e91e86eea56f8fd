/**
 * How CLI commands reach the head: `--head URL` / `$DISTRIBUTE_HEAD` (default
 * http://127.0.0.1:8952) and a token ({@link findToken}: --token, --token-file, environment, or
 * the admin token of a head data folder on this machine). Requests go through the typed client of
 * shared/api; its error values become {@link CliError}s with the exit code the command ends with.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import type { ApiError, ApiResult, Transport } from '../../shared/api/api-result.ts';
import { DEFAULT_HEAD_URL, HeadClient } from '../../shared/api/head-client.ts';
import { terminalSafe, terminalSafeLines } from '../../shared/terminal-text.ts';
import { loadCaFile } from '../../electron/agent/ca-file.ts';
import { requestStream, requestText } from './http-request.ts';
import type { OptionDef } from './quick-args.ts';

export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3 } as const;

export class CliError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}

export interface HeadOptions {
  head?: string;
  token?: string;
  tokenFile?: string;
  data?: string;
  /** A lab CA certificate to trust for an https head (else $DISTRIBUTE_CA). */
  ca?: string;
}

/** --head, --token, --token-file, --data and --ca: the options of every command that talks to the head. */
export const HEAD_OPTIONS: readonly OptionDef[] = [
  { flags: '--head <url>', description: 'head URL; http:// is assumed without a scheme (env DISTRIBUTE_HEAD, default http://127.0.0.1:8952)' },
  { flags: '--token <token>', description: 'your token (env DISTRIBUTE_TOKEN)' },
  { flags: '--token-file <file>', description: 'read your token from this file (env DISTRIBUTE_TOKEN_FILE)' },
  { flags: '--data <dir>', description: 'on the head machine: use the admin token of the head started with --data DIR (default: $DISTRIBUTE_DATA, else ~/.distribute/head)' },
  { flags: '--ca <file>', description: 'trust this lab CA certificate for an https head, besides the system\'s (env DISTRIBUTE_CA)' },
];

/** Add {@link HEAD_OPTIONS} to a command that talks to the head. */
export function withHeadOptions(cmd: Command): Command {
  return withOptions(cmd, HEAD_OPTIONS);
}

/** Register `options` on `cmd` (lists that head/cli/quick-args.ts also reads). */
export function withOptions(cmd: Command, options: readonly OptionDef[]): Command {
  for (const o of options) cmd.option(o.flags, o.description, o.default);
  return cmd;
}

/** A port option's value (0 = any free port), or a usage error naming the option. */
export function parsePort(option: string, value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`${option}: '${value}' is not a port number`, EXIT.usage);
  return port;
}

/**
 * A head URL from the command line or the environment: `127.0.0.1:8952` means
 * `http://127.0.0.1:8952`; anything that is not an http(s) URL then is a usage error naming `from`.
 */
export function parseHeadUrl(value: string, from = '--head'): string {
  const text = value.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new CliError(`${from}: '${value}' is not a URL (expected e.g. http://lab-server:8952)`, EXIT.usage);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(`${from}: '${value}' is not an http:// or https:// URL (expected e.g. http://lab-server:8952)`, EXIT.usage);
  }
  return withScheme.replace(/\/+$/, '');
}

export function defaultDataDir(): string {
  return process.env.DISTRIBUTE_DATA ?? path.join(os.homedir(), '.distribute', 'head');
}

/** A token and where it came from, so a refusal can say which one was refused. */
export interface FoundToken {
  token: string;
  source: string;
}

function readTokenFile(file: string, from: string): FoundToken {
  let token: string;
  try {
    token = fs.readFileSync(file, 'utf8').trim();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new CliError(`${from}: cannot read '${file}': ${code}${code === 'EACCES' ? ' (only its owner may read it)' : ''}`, EXIT.usage);
  }
  if (!token) throw new CliError(`${from}: '${file}' is empty`, EXIT.usage);
  return { token, source: `${from} ${file}` };
}

/**
 * The token to send, first found of: --token, --token-file, $DISTRIBUTE_TOKEN,
 * $DISTRIBUTE_TOKEN_FILE, --data DIR's admin token, the default data folder's admin token.
 */
export function findToken(opts: HeadOptions, env: NodeJS.ProcessEnv = process.env): FoundToken {
  if (opts.token) return { token: opts.token, source: '--token' };
  if (opts.tokenFile) return readTokenFile(opts.tokenFile, '--token-file');
  if (env.DISTRIBUTE_TOKEN) return { token: env.DISTRIBUTE_TOKEN, source: '$DISTRIBUTE_TOKEN' };
  if (env.DISTRIBUTE_TOKEN_FILE) return readTokenFile(env.DISTRIBUTE_TOKEN_FILE, '$DISTRIBUTE_TOKEN_FILE');
  if (opts.data) {
    const file = path.join(opts.data, 'admin-token');
    if (!fs.existsSync(file)) throw new CliError(`--data: no admin token at ${file} (is ${opts.data} the folder the head was started with --data?)`, EXIT.usage);
    const found = readTokenFile(file, '--data');
    return { token: found.token, source: `the admin token in ${file}` };
  }
  const file = path.join(env.DISTRIBUTE_DATA ?? path.join(os.homedir(), '.distribute', 'head'), 'admin-token');
  try {
    const token = fs.readFileSync(file, 'utf8').trim();
    if (token) return { token, source: `the admin token in ${file}` };
  } catch { /* none */ }
  throw new CliError('no token: pass --token or --token-file, set DISTRIBUTE_TOKEN, or on the head machine --data DIR (ask your admin for one: distribute user add NAME)', EXIT.usage);
}

/**
 * JSON calls and downloads through node:http (./http-request.ts), uploads and event streams
 * through fetch: a short command then never loads fetch's undici, and a pull never passes its
 * bytes through it.
 */
export const cliTransport: Transport = {
  text: requestText,
  fetch: (url, init) => fetch(url, init),
  stream: requestStream,
};

/** The typed head client for a command's --head/--token/--token-file/--data options. */
export function connectHead(opts: HeadOptions): HeadClient {
  const base = opts.head !== undefined ? parseHeadUrl(opts.head)
    : process.env.DISTRIBUTE_HEAD ? parseHeadUrl(process.env.DISTRIBUTE_HEAD, '$DISTRIBUTE_HEAD') : DEFAULT_HEAD_URL;
  const found = findToken(opts);
  return new HeadClient({ base, token: found.token, tokenSource: found.source, transport: base.startsWith('https:') ? tlsTransport(opts) : cliTransport });
}

/**
 * For an https head: with a lab CA (--ca, else $DISTRIBUTE_CA; checked here, a bad file is a usage
 * error) both kinds of call go through node:https trusting it (electron/agent/lab-ca.ts, loaded on
 * the first call); without one, the system's trust store as usual.
 */
function tlsTransport(opts: HeadOptions): Transport {
  const source = opts.ca !== undefined ? '--ca' : process.env.DISTRIBUTE_CA ? '$DISTRIBUTE_CA' : null;
  if (!source) return cliTransport;
  const loaded = loadCaFile(opts.ca ?? process.env.DISTRIBUTE_CA!);
  if (!loaded.ok) throw new CliError(`${source}: ${loaded.error}`, EXIT.usage);
  let ready: Promise<typeof fetch> | null = null;
  const trusted = () => ready ??= (async () => {
    (await import('../../electron/agent/lab-ca.ts')).trustLabCa(loaded.pem);
    return (await import('../../electron/agent/https-fetch.ts')).httpsFetch;
  })();
  return {
    text: async (url, init) => { await trusted(); return requestText(url, init); },
    fetch: async (url, init) => (await trusted())(url, init),
  };
}

/** The exit code for a failed API call: 3 when the server is unreachable, else 1. */
export function exitCodeOf(error: ApiError): number {
  return error.kind === 'unreachable' ? EXIT.unreachable : EXIT.failed;
}

/** The value of an API call, or a CliError with the server's message and {@link exitCodeOf its exit code}. */
export function must<T>(result: ApiResult<T>): T {
  if (!result.ok) throw new CliError(result.error.message, exitCodeOf(result.error));
  return result.value;
}

/** Run a command body and turn errors into messages and exit codes. */
export function action<A extends unknown[]>(name: string, fn: (...args: A) => Promise<number | void>) {
  return async (...args: A) => {
    try {
      const code = await fn(...args);
      process.exitCode = code ?? 0;
    } catch (err) {
      if (err instanceof CliError) {
        // Messages quote names and text from the head: shown with control characters escaped.
        process.stderr.write(`distribute ${name}: ${terminalSafeLines(err.message)}\n`);
        process.exitCode = err.exitCode;
      } else {
        process.stderr.write(`distribute ${name}: ${(err as Error).stack ?? err}\n`);
        process.exitCode = EXIT.failed;
      }
    }
  };
}

/** `1 file`, `3 files`: a count with its noun in the right number. */
export function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}

/** Plain text table with padded columns; cells are shown with control characters escaped. */
export function table(cells: string[][]): string {
  if (!cells.length) return '';
  const rows = cells.map((r) => r.map(terminalSafe));
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ')).join('\n') + '\n';
}
