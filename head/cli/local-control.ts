/**
 * What `distribute pause` and `distribute resume` share: talking to the agent on this machine
 * through its control endpoint (token from `<workdir>/control-token`, port from
 * `<workdir>/control-port`), or to the head for `--node NAME`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { controlPortPath, controlTokenPath, DEFAULT_CONTROL_PORT, type ControlState } from '../../electron/agent/control-server.ts';
import { formatDuration, parseDuration } from '../../shared/duration.ts';
import { CliError, EXIT, HeadClient, withHeadOptions, type HeadOptions } from './client.ts';
import { requestText, type TextResponse } from './http-request.ts';

export interface ControlOptions extends HeadOptions {
  node?: string;
  workdir: string;
  controlPort?: string;
  json?: boolean;
}

/** The options both commands take. */
export function withControlOptions(cmd: Command): Command {
  return withHeadOptions(cmd
    .option('--node <name>', 'act on that node through the head (admin or the node\'s owner) instead of this machine\'s agent')
    .option('--workdir <dir>', 'work folder of this machine\'s agent (holds control-token and control-port)', path.join(os.homedir(), '.distribute', 'agent'))
    .option('--control-port <port>', `port of this machine's agent (default: from <workdir>/control-port, else ${DEFAULT_CONTROL_PORT})`)
    .option('--json', 'print JSON'));
}

/** `'until-resumed'` → null, else milliseconds; bad input is a usage error. */
export function durationArg(text: string): number | null {
  if (text === 'until-resumed') return null;
  const d = parseDuration(text);
  if (!d.ok) throw new CliError(`--duration: ${d.error} (or until-resumed)`, EXIT.usage);
  return d.ms;
}

/** Calls this machine's agent; connection problems exit 3, a refused token exits 1. */
export async function callLocalAgent(opts: ControlOptions, route: '/api/pause' | '/api/resume', body: unknown): Promise<ControlState> {
  const tokenFile = controlTokenPath(opts.workdir);
  let token: string;
  try {
    token = fs.readFileSync(tokenFile, 'utf8').trim();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES') throw new CliError(`cannot read ${tokenFile}: only the user running the agent may pause it`, EXIT.failed);
    throw new CliError(`no agent control token at ${tokenFile}: is an agent running on this machine with --workdir ${opts.workdir}? (or use --node NAME)`, EXIT.unreachable);
  }
  const port = controlPort(opts);
  const url = `http://127.0.0.1:${port}${route}`;
  let res: TextResponse;
  try {
    res = await requestText(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  } catch (err) {
    throw new CliError(`cannot reach the agent at 127.0.0.1:${port}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message} (is it running?)`, EXIT.unreachable);
  }
  let data: ControlState & { error?: string };
  try {
    data = JSON.parse(res.text) as ControlState & { error?: string };
  } catch {
    data = {} as ControlState;
  }
  if (res.status === 401) throw new CliError(`the agent refused the token in ${tokenFile} (is --workdir the running agent's?)`, EXIT.failed);
  if (res.status === 400) throw new CliError(data.error ?? 'bad request', EXIT.usage);
  if (res.status < 200 || res.status > 299) throw new CliError(data.error ?? `HTTP ${res.status}`, EXIT.failed);
  return data;
}

function controlPort(opts: ControlOptions): number {
  const text = opts.controlPort ?? readFile(controlPortPath(opts.workdir)) ?? String(DEFAULT_CONTROL_PORT);
  const port = Number(text.trim());
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new CliError(`--control-port: '${text.trim()}' is not a port number`, EXIT.usage);
  return port;
}

function readFile(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** Calls the head for `--node`; maps unknown node / bad input to exit 2, refusals to 1. */
export async function callHead<T>(opts: ControlOptions, route: string, body: unknown): Promise<T> {
  try {
    return await new HeadClient(opts).json<T>(route, { body });
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (err instanceof CliError && (status === 400 || status === 404)) throw new CliError(err.message, EXIT.usage);
    throw err;
  }
}

/** One line about a node's pause, for people. */
export function describePause(name: string, pause: { until: number | null; capAt?: number } | null, now = Date.now()): string {
  if (!pause) return `node '${name}' is not paused`;
  if (pause.until === null) return `node '${name}' paused until resumed${pause.capAt ? ` (at most until ${clock(pause.capAt)})` : ''}`;
  return `node '${name}' paused until ${clock(pause.until)} (${formatDuration(Math.ceil((pause.until - now) / 1000) * 1000)})`;
}

function clock(t: number): string {
  return new Date(t).toLocaleTimeString();
}
