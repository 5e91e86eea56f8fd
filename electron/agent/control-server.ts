/**
 * The agent's local control endpoint: pause/resume without sudo, and the status page.
 *
 * Who may use it: only the user running the agent. The server listens on 127.0.0.1 only and every
 * API request must carry the token from `<workdir>/control-token` (mode 0600, so only that user
 * can read it) in `Authorization: Bearer <token>`. The token is never accepted in the query string
 * of an API call, so a web page elsewhere cannot make the browser send it; a custom header also
 * forces a CORS preflight, which this server never grants. The Host header must name a loopback
 * host, which defeats DNS rebinding. Requests from non-loopback addresses are refused (403) even
 * though the bind address already excludes them, in case the bind is ever widened.
 *
 * Routes (`controlRoutes` in shared/api/routes.ts, bodies in shared/api/control-api.ts): `GET /`
 * the status page (static HTML, no data in it: it reads the token from `/?token=...` or from the
 * user, keeps it in sessionStorage and polls the API), `GET /api/state`, `POST /api/pause
 * {duration}` (`'1h'`, `'30m'`, ... or `'until-resumed'`), `POST /api/resume`.
 *
 * The port actually bound is written to `<workdir>/control-port` so `distribute pause` finds an
 * agent whose default port (8953) was taken and that fell back to a free one.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { ControlState } from '../../shared/api/control-api.ts';
import { controlRoutes } from '../../shared/api/routes.ts';
import { parseDuration } from '../../shared/duration.ts';
import type { AgentSnapshot } from './agent-state.ts';
import type { PauseReason } from './node-pause.ts';
import { statusPageHtml } from './status-page.ts';

/** Default port of the control endpoint (the head's default is 8952). */
export const DEFAULT_CONTROL_PORT = 8953;

/** What the control server drives: the Agent implements it. */
export interface ControlTarget {
  snapshot(): AgentSnapshot;
  pause(durationMs: number | null, reason?: PauseReason): Promise<AgentSnapshot>;
  resume(): Promise<AgentSnapshot>;
  readonly maxPauseMs: number;
  /** The agent's clock (epoch ms): the `now` of every answer, so pause ends read against it. */
  now(): number;
}

export interface ControlServerOptions {
  target: ControlTarget;
  workdir: string;
  /** 0 = any free port. Default {@link DEFAULT_CONTROL_PORT}; when taken, a free port is used. */
  port?: number;
  /** Bind address. Only tests change it (to check the non-loopback refusal); default 127.0.0.1. */
  host?: string;
  log?: (line: string) => void;
}

export interface ControlServer {
  readonly port: number;
  readonly token: string;
  /** `http://127.0.0.1:<port>/?token=<token>`: what the tray window and a browser open. */
  statusPageUrl(): string;
  close(): Promise<void>;
}

export function controlTokenPath(workdir: string): string {
  return path.join(workdir, 'control-token');
}

export function controlPortPath(workdir: string): string {
  return path.join(workdir, 'control-port');
}

/**
 * The control token: reused from `<workdir>/control-token` when present (so an open status page
 * keeps working across agent restarts), else created. Either way the file ends up mode 0600.
 */
export async function ensureControlToken(workdir: string): Promise<string> {
  const file = controlTokenPath(workdir);
  await fs.mkdir(workdir, { recursive: true });
  try {
    const existing = (await fs.readFile(file, 'utf8')).trim();
    if (/^[0-9a-f]{64}$/.test(existing)) {
      await fs.chmod(file, 0o600);
      return existing;
    }
  } catch {
    // missing: create below
  }
  const token = randomBytes(32).toString('hex');
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, `${token}\n`, { mode: 0o600 });
  await fs.chmod(tmp, 0o600); // the umask may have narrowed it further; never wider
  await fs.rename(tmp, file);
  return token;
}

/** True for an IPv4 or IPv6 loopback peer address (`127.0.0.0/8`, `::1`, `::ffff:127.x.x.x`). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4)) return true;
  return address === '::1' || address === '0:0:0:0:0:0:0:1';
}

/** True when the Host header names this machine by a loopback name (not a rebound DNS name). */
export function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  return name === 'localhost' || isLoopbackAddress(name);
}

/** Checks `Authorization: Bearer <token>` in constant time. */
export function hasToken(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (!m) return false;
  const given = Buffer.from(m[1]);
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

/** Reads a pause request's duration: `null` = until resumed. */
export function pauseDuration(body: unknown): { ok: true; ms: number | null } | { ok: false; error: string } {
  const duration = (body as { duration?: unknown } | null)?.duration ?? '1h';
  if (duration === 'until-resumed') return { ok: true, ms: null };
  if (typeof duration !== 'string') return { ok: false, error: "duration must be a string like '1h' or 'until-resumed'" };
  const d = parseDuration(duration);
  return d.ok ? { ok: true, ms: d.ms } : d;
}

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};
const PAGE_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'";

/** Starts the control server; resolves once it listens. */
export async function startControlServer(opts: ControlServerOptions): Promise<ControlServer> {
  const token = await ensureControlToken(opts.workdir);
  const log = opts.log ?? (() => undefined);
  const page = statusPageHtml();

  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  };
  const state = (snapshot: AgentSnapshot): ControlState => ({ ...snapshot, now: opts.target.now(), maxPauseMs: opts.target.maxPauseMs });

  const server = http.createServer((req, res) => {
    void handle(req, res).catch((err: Error) => {
      log(`control endpoint: ${err.message}`);
      if (!res.headersSent) send(res, 500, { error: err.message });
      else res.end();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (!isLoopbackAddress(req.socket.remoteAddress)) return send(res, 403, { error: 'the control endpoint only answers this machine' });
    if (!isLoopbackHost(req.headers.host)) return send(res, 403, { error: 'unexpected Host header' });
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'GET' && (url.pathname === controlRoutes.page() || url.pathname === '/index.html')) {
      res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8', 'content-security-policy': PAGE_CSP });
      res.end(page);
      return;
    }
    if (!url.pathname.startsWith('/api/')) return send(res, 404, { error: 'not found' });
    if (!hasToken(req.headers.authorization, token)) {
      return send(res, 401, { error: `missing or wrong token (Authorization: Bearer <contents of ${controlTokenPath(opts.workdir)}>)` });
    }
    const route = `${req.method} ${url.pathname}`;
    if (route === `GET ${controlRoutes.state()}`) return send(res, 200, state(opts.target.snapshot()));
    if (route === `POST ${controlRoutes.pause()}`) {
      const body = await readJson(req);
      if (!body.ok) return send(res, 400, { error: body.error });
      const d = pauseDuration(body.value);
      if (!d.ok) return send(res, 400, { error: d.error });
      return send(res, 200, state(await opts.target.pause(d.ms, 'user')));
    }
    if (route === `POST ${controlRoutes.resume()}`) return send(res, 200, state(await opts.target.resume()));
    return send(res, 404, { error: `no route ${route}` });
  }

  const host = opts.host ?? '127.0.0.1';
  const wanted = opts.port ?? DEFAULT_CONTROL_PORT;
  let port: number;
  try {
    port = await listen(server, wanted, host);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || wanted === 0) throw err;
    // Another agent (or anything) has the port: take a free one; the CLI reads control-port.
    port = await listen(server, 0, host);
    log(`control port ${wanted} is taken; using ${port}`);
  }
  await fs.writeFile(controlPortPath(opts.workdir), `${port}\n`);
  const statusUrl = `http://127.0.0.1:${port}/?token=${token}`;
  return {
    port,
    token,
    statusPageUrl: () => statusUrl,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

async function readJson(req: http.IncomingMessage): Promise<{ ok: true; value: unknown } | { ok: false; error: string }> {
  let text = '';
  for await (const chunk of req) {
    text += chunk;
    if (text.length > 4096) return { ok: false, error: 'request body too large' };
  }
  if (!text.trim()) return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, error: 'request body is not JSON' };
  }
}
