/**
 * What `distribute pause` and `distribute resume` share: talking to the agent on this machine
 * through its control endpoint (token from `<workdir>/control-token`, port from
 * `<workdir>/control-port`), or to the head for `--node NAME`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { controlPortPath, controlTokenPath, DEFAULT_CONTROL_PORT } from '../../electron/agent/control-server.ts';
import type { ApiResult } from '../../shared/api/api-result.ts';
import type { ControlState } from '../../shared/api/control-api.ts';
import { ControlClient } from '../../shared/api/control-client.ts';
import { parseDuration } from '../../shared/duration.ts';
import { formatDuration } from '../../shared/format.ts';
import { cliTransport, CliError, EXIT, exitCodeOf, withHeadOptions, type HeadOptions } from './client.ts';

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

/**
 * Calls this machine's agent (`call` picks pause or resume on the typed control client);
 * connection problems exit 3, a refused token exits 1, a refused duration exits 2.
 */
export async function callLocalAgent(opts: ControlOptions, call: (agent: ControlClient) => Promise<ApiResult<ControlState>>): Promise<ControlState> {
  const tokenFile = controlTokenPath(opts.workdir);
  let token: string;
  try {
    token = fs.readFileSync(tokenFile, 'utf8').trim();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES') throw new CliError(`cannot read ${tokenFile}: only the user running the agent may pause it`, EXIT.failed);
    throw new CliError(`no agent control token at ${tokenFile}: is an agent running on this machine with --workdir ${opts.workdir}? (or use --node NAME)`, EXIT.unreachable);
  }
  const r = await call(new ControlClient({ port: controlPort(opts), token, transport: cliTransport }));
  if (r.ok) return r.value;
  const e = r.error;
  if (e.kind === 'unreachable') throw new CliError(`${e.message} (is it running?)`, EXIT.unreachable);
  if (e.kind === 'refused' && e.status === 401) throw new CliError(`the agent refused the token in ${tokenFile} (is --workdir the running agent's?)`, EXIT.failed);
  if (e.kind === 'refused' && e.status === 400) throw new CliError(e.message, EXIT.usage);
  throw new CliError(e.message, EXIT.failed);
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

/** The value of a `--node` call to the head; an unknown node or bad input exits 2, other refusals 1. */
export function headAnswer<T>(r: ApiResult<T>): T {
  if (r.ok) return r.value;
  const e = r.error;
  if (e.kind === 'refused' && (e.status === 400 || e.status === 404)) throw new CliError(e.message, EXIT.usage);
  throw new CliError(e.message, exitCodeOf(e));
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
