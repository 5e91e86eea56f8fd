/**
 * Limits on the head's HTTP server that no single client may exceed:
 *
 * - **connections per address**: at most `maxPerAddress` open TCP connections from one IP
 *   (agents hold one WebSocket plus a few transfers; a browser opens six); further connections are
 *   closed at once, before a byte is read.
 * - **header timeout**: the request line and headers must arrive within {@link HEADERS_TIMEOUT_MS}.
 * - **request timeout**: no request may take longer than {@link REQUEST_TIMEOUT_MS} to arrive
 *   (the longest input upload); small JSON bodies have their own short deadline (body-limits.ts).
 * - **idle timeout**: a connection on which nothing moves for {@link IDLE_TIMEOUT_MS} is closed
 *   (a stalled upload, a client that stopped reading a download). Streams that may be quiet for
 *   long on purpose (`logs --follow`, `/api/events`) lift it for their own socket.
 */
import type { Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';

export const HEADERS_TIMEOUT_MS = 20_000;
export const REQUEST_TIMEOUT_MS = 6 * 60 * 60 * 1000;
export const IDLE_TIMEOUT_MS = 60_000;
export const KEEP_ALIVE_TIMEOUT_MS = 30_000;
/** Default cap of simultaneous connections from one address. */
export const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 64;

export interface ConnectionLimits {
  maxPerAddress: number;
  /** Overrides for tests; the defaults are the constants above. */
  headersTimeoutMs?: number;
  idleTimeoutMs?: number;
  log: (line: string) => void;
}

/** Applies the timeouts and the per-address cap to `server` (HTTP or HTTPS). */
export function limitConnections(server: Server | HttpsServer, limits: ConnectionLimits): void {
  server.headersTimeout = limits.headersTimeoutMs ?? HEADERS_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.keepAliveTimeout = Math.min(KEEP_ALIVE_TIMEOUT_MS, server.headersTimeout - 1000);
  server.timeout = limits.idleTimeoutMs ?? IDLE_TIMEOUT_MS;
  const open = new Map<string, number>();
  const refusedLogged = new Set<string>();
  // TLS servers report the raw socket on 'connection' before the handshake, so the cap also
  // bounds half-open TLS handshakes.
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    const count = open.get(address) ?? 0;
    if (count >= limits.maxPerAddress) {
      if (!refusedLogged.has(address)) {
        refusedLogged.add(address);
        limits.log(`refusing connections from ${address}: it already has ${count} open (limit ${limits.maxPerAddress})`);
      }
      socket.destroy();
      return;
    }
    open.set(address, count + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left <= 0) {
        open.delete(address);
        refusedLogged.delete(address);
      } else {
        open.set(address, left);
      }
    });
  });
}
