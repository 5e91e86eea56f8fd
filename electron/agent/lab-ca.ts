/**
 * Trusting a lab's own certificate authority. A head served over TLS (`distribute server
 * --tls-cert F --tls-key F`) usually has a certificate signed by a CA the lab made itself, which no
 * system trust store knows. The agent, the CLI and the tray take `--ca F` (or `$DISTRIBUTE_CA`):
 * that CA is trusted **in addition to** the system's roots for every connection this process makes
 * to the head (WebSocket, transfers, API calls), so a head with a public certificate keeps working.
 *
 * The trust is process-wide on purpose: one process talks to one head, and every connection it
 * opens (some deep in the agent core) must agree on whom to trust.
 */
import https from 'node:https';
import tls from 'node:tls';
import { loadCaFile } from './ca-file.ts';

export { loadCaFile };

let labCa: string | null = null;
let keepAlive: https.Agent | null = null;

/** Trust `pem` (a CA certificate) for this process's TLS connections to the head; null: system roots only. */
export function trustLabCa(pem: string | null): void {
  labCa = pem;
  keepAlive?.destroy();
  keepAlive = null;
  https.globalAgent.options.ca = pem ? [...tls.rootCertificates, pem] : undefined;
}

/**
 * Reads `file` (or `$DISTRIBUTE_CA` when `file` is undefined) and trusts it. Returns an error text
 * naming the source when the file is unusable; nothing to do when neither is set.
 */
export function trustCaFrom(file: string | undefined, env: NodeJS.ProcessEnv = process.env): string | null {
  const source = file !== undefined ? '--ca' : env.DISTRIBUTE_CA ? '$DISTRIBUTE_CA' : null;
  const path = file ?? env.DISTRIBUTE_CA;
  if (!source || !path) return null;
  const loaded = loadCaFile(path);
  if (!loaded.ok) return `${source}: ${loaded.error}`;
  trustLabCa(loaded.pem);
  return null;
}

/** The lab CA in force, if any. */
export function labCaPem(): string | null {
  return labCa;
}

/** TLS options for a connection to the head: the system roots plus the lab CA (empty without one). */
export function caOptions(): { ca?: string[] } {
  return labCa ? { ca: [...tls.rootCertificates, labCa] } : {};
}

/** A keep-alive HTTPS agent that trusts the lab CA (rebuilt when the CA changes). */
export function httpsKeepAliveAgent(): https.Agent {
  keepAlive ??= new https.Agent({ keepAlive: true, maxSockets: 8, ...caOptions() });
  return keepAlive;
}
