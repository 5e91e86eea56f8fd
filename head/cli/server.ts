/** `distribute server`: run the head node (HTTP API + agent hub + store + archive). */
import type { Command } from 'commander';
import { parseDuration } from '../../shared/duration.ts';
import { startHead } from '../server.ts';
import { DEFAULT_RATE_LIMIT } from '../ws/message-rate.ts';
import { attachNotifiers } from '../notify/attach.ts';
import { stopSignal } from './stop-signals.ts';
import { DEFAULT_MAX_CONNECTIONS_PER_ADDRESS } from '../http/connection-limits.ts';
import { DEFAULT_MAX_HAND_BACKS } from '../core/cluster.ts';
import { parseByteSize } from './byte-size.ts';
import { readTlsFiles } from './tls-files.ts';
import { action, CliError, defaultDataDir, EXIT, parsePort } from './client.ts';
import { assertPortFree } from './port-free.ts';

export function register(program: Command): void {
  program
    .command('server')
    .description('run the head node: HTTP API, agent hub, job store and results archive')
    .option('--data <dir>', 'data folder (state, archive, tokens)', defaultDataDir())
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', '8952')
    .option('--node-timeout <duration>', 'a node silent this long is lost and its job re-queued', '10s')
    .option('--matrix-config <file>', 'Matrix credentials for batch notifications (see docs/matrix.md)')
    .option('--max-input-size <size>', 'largest input file accepted by add (bytes, or with K/M/G/T)', '20G')
    .option('--forget-nodes-after <duration>', 'forget a node (record and credential) offline this long (720h = 30 days); it must enroll again to come back', '720h')
    .option('--ws-rate <n>', 'messages per second one agent may send (bursts of 5x); a node over it is disconnected', String(DEFAULT_RATE_LIMIT.perSecond))
    .option('--min-free-disk <size>', 'assign no new job while the archive disk has less free space than this (bytes, or with K/M/G/T; 0 = never hold); finished results still come in', '1G')
    .option('--tls-cert <file>', 'serve HTTPS and WSS with this certificate (PEM, the chain if any); needs --tls-key')
    .option('--tls-key <file>', 'private key of --tls-cert (PEM)')
    .option('--max-hand-backs <n>', 'a job handed back or rejected by agents this many times ends rejected (busy, stopping, paused too long, unreadable; a lost node, or a job in hand given back before it started, does not count)', String(DEFAULT_MAX_HAND_BACKS))
    .option('--max-connections-per-address <n>', 'simultaneous connections one IP address may hold', String(DEFAULT_MAX_CONNECTIONS_PER_ADDRESS))
    .action(action('server', async (opts: { data: string; host: string; port: string; nodeTimeout: string; matrixConfig?: string; maxInputSize: string; forgetNodesAfter: string; wsRate: string; minFreeDisk: string; maxConnectionsPerAddress: string; maxHandBacks: string; tlsCert?: string; tlsKey?: string }) => {
      const port = parsePort('--port', opts.port);
      const timeout = parseDuration(opts.nodeTimeout);
      if (!timeout.ok) throw new CliError(`--node-timeout: ${timeout.error}`, EXIT.usage);
      const forget = parseDuration(opts.forgetNodesAfter);
      if (!forget.ok) throw new CliError(`--forget-nodes-after: ${forget.error}`, EXIT.usage);
      const rate = Number(opts.wsRate);
      if (!Number.isFinite(rate) || rate < 1) throw new CliError(`--ws-rate: '${opts.wsRate}' is not a number of messages per second (at least 1)`, EXIT.usage);
      const maxInput = parseByteSize(opts.maxInputSize);
      if (!maxInput.ok) throw new CliError(`--max-input-size: ${maxInput.error}`, EXIT.usage);
      const maxConnections = Number(opts.maxConnectionsPerAddress);
      if (!Number.isInteger(maxConnections) || maxConnections < 1) throw new CliError(`--max-connections-per-address: '${opts.maxConnectionsPerAddress}' is not a whole number of at least 1`, EXIT.usage);
      const maxHandBacks = Number(opts.maxHandBacks);
      if (!Number.isInteger(maxHandBacks) || maxHandBacks < 1) throw new CliError(`--max-hand-backs: '${opts.maxHandBacks}' is not a whole number of at least 1`, EXIT.usage);
      const minFree = opts.minFreeDisk.trim() === '0' ? { ok: true as const, bytes: 0 } : parseByteSize(opts.minFreeDisk);
      if (!minFree.ok) throw new CliError(`--min-free-disk: ${minFree.error}`, EXIT.usage);
      const tlsFiles = readTlsFiles(opts.tlsCert, opts.tlsKey);
      if (!tlsFiles.ok) throw new CliError(tlsFiles.error, EXIT.usage);
      await assertPortFree(opts.host, port, '--port');
      const head = await startHead({
        dataDir: opts.data, host: opts.host, port, nodeTimeoutMs: timeout.ms,
        heartbeatMs: Math.max(200, Math.min(2000, Math.floor(timeout.ms / 4))), maxInputBytes: maxInput.bytes,
        forgetNodesAfterMs: forget.ms, rateLimit: { perSecond: rate, burst: rate * 5 },
        minFreeDiskBytes: minFree.bytes, maxConnectionsPerAddress: maxConnections, maxHandBacks, tls: tlsFiles.tls,
      });
      const detach = await attachNotifiers(head, { matrixConfig: opts.matrixConfig });
      if (!detach.ok) {
        await head.close();
        throw new CliError(detach.error, EXIT.usage);
      }
      process.stderr.write(`distribute head listening on ${head.url}\n  data:        ${opts.data}\n  admin token: ${head.adminTokenFile}\n  enrollment token for agents: ${head.agentTokenFile}\n`);
      await stopSignal();
      detach.close();
      await head.close();
    }));
}
