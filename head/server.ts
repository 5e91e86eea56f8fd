/**
 * Start a head: data folder, tokens, store, archive, cluster, HTTP + WebSocket on one port, and
 * the timers (heartbeat check, store flush). Used by `distribute server`, `distribute up` and tests.
 */
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import fs from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { Archive } from './archive/archive.ts';
import { DiskWatch } from './archive/disk-space.ts';
import { ensureTokenFile, rotateTokenFile, type TokenBook } from './auth/tokens.ts';
import { Cluster } from './core/cluster.ts';
import { heldPerNode } from './core/activity.ts';
import { createApp } from './http/app.ts';
import { DEFAULT_MAX_CONNECTIONS_PER_ADDRESS, limitConnections } from './http/connection-limits.ts';
import { ABANDONED_UPLOAD_MS, collectInputs, ORPHAN_INPUT_GRACE_MS, RETRY_INPUTS_KEEP_MS } from './archive/input-gc.ts';
import { LowdbStore } from './store/lowdb-store.ts';
import { AgentHub } from './ws/agent-hub.ts';
import type { RateLimit } from './ws/message-rate.ts';

/** How often orphaned uploads and abandoned uploading batches are swept. */
const INPUT_SWEEP_MS = 10 * 60 * 1000;
/** Default of `--min-free-disk`: below this much free archive space no new job is assigned. */
export const DEFAULT_MIN_FREE_DISK = 1024 ** 3;

export interface HeadOptions {
  dataDir: string;
  host?: string;
  port?: number;
  /** A node silent this long is lost (default 10 s). */
  nodeTimeoutMs?: number;
  /** How often agents send heartbeats (default 2 s). */
  heartbeatMs?: number;
  maxInputBytes?: number;
  /** Forget nodes offline for longer than this, with their credentials (default 30 days). */
  forgetNodesAfterMs?: number;
  /** Message rate limit per agent socket (default: see head/ws/message-rate.ts). */
  rateLimit?: RateLimit;
  /** Below this much free space on the archive disk no new job is assigned (default 1 GiB). */
  minFreeDiskBytes?: number;
  /** A job handed back or rejected this many times ends `rejected` (default 3). */
  maxHandBacks?: number;
  /** Simultaneous connections one address may hold (default 64; head/http/connection-limits.ts). */
  maxConnectionsPerAddress?: number;
  /** Serve HTTPS and WSS with this certificate chain and private key (PEM). */
  tls?: { cert: string; key: string };
  /** Shorter timeouts for tests (defaults in head/http/connection-limits.ts and body-limits.ts). */
  timeouts?: { headersMs?: number; idleMs?: number; bodyMs?: number };
  log?: (line: string) => void;
}

/** Default of {@link HeadOptions.forgetNodesAfterMs}: 30 days. */
export const DEFAULT_FORGET_NODES_AFTER_MS = 30 * 86_400_000;

export interface RunningHead {
  url: string;
  port: number;
  cluster: Cluster;
  adminTokenFile: string;
  agentTokenFile: string;
  adminToken: string;
  agentToken: string;
  store: LowdbStore;
  close(): Promise<void>;
}

export async function startHead(opts: HeadOptions): Promise<RunningHead> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`[head] ${line}\n`));
  const dataDir = path.resolve(opts.dataDir);
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  await fs.chmod(dataDir, 0o700); // a folder made by an earlier version (or by hand) may be 0755
  const adminTokenFile = path.join(dataDir, 'admin-token');
  const agentTokenFile = path.join(dataDir, 'agent-token');
  const admin = await ensureTokenFile(adminTokenFile, 'adm');
  const agent = await ensureTokenFile(agentTokenFile, 'agt');
  if (admin.created) log(`created admin token in ${adminTokenFile}`);
  if (agent.created) log(`created agent enrollment token in ${agentTokenFile}`);

  const store = new LowdbStore(dataDir);
  const archive = new Archive(dataDir);
  await archive.init();
  const heartbeatMs = opts.heartbeatMs ?? 2000;
  const nodeTimeoutMs = opts.nodeTimeoutMs ?? 10_000;
  // Space back on the archive disk: assign again (the cluster is created just below).
  let onDiskChange = () => {};
  const disk = new DiskWatch({ dir: archive.archiveRoot, minFreeBytes: opts.minFreeDiskBytes ?? DEFAULT_MIN_FREE_DISK, log, onChange: () => onDiskChange() });
  await disk.start();
  const cluster = new Cluster({ store, archive, nodeTimeoutMs, heartbeatMs, maxHandBacks: opts.maxHandBacks, log, assignHold: (pending) => disk.holdReason(pending), diskFull: () => void disk.noteFull() });
  onDiskChange = () => {
    cluster.dispatch.scheduleSoon();
    cluster.events.emit('archive:changed');
  };
  await cluster.init();
  const tokens: TokenBook = {
    adminToken: admin.token, agentToken: agent.token, users: () => cluster.users.list(),
    nodeOf: (token) => cluster.enrollment.credentials.nodeOf(token),
  };
  // Enrolled nodes keep their credentials; only agents that still have to enroll need the new token.
  const rotateEnrollment = async () => {
    tokens.agentToken = await rotateTokenFile(agentTokenFile, 'agt');
    log(`enrollment token rotated (${agentTokenFile})`);
    return tokens.agentToken;
  };

  const addUser = (name: string, isAdmin: boolean) => cluster.users.add(name, isAdmin);

  const app = createApp({ cluster, archive, disk, store, tokens, maxInputBytes: opts.maxInputBytes ?? 20 * 1024 ** 3, bodyDeadlineMs: opts.timeouts?.bodyMs, now: Date.now, log, addUser, rotateEnrollment });
  const hub = new AgentHub({ cluster, tokens, log, rateLimit: opts.rateLimit });
  // Header and request timeouts are checked this often (Node's default is every 30 s).
  // HTTPS (and so WSS) with a certificate; plain HTTP only without one (README: 'A real lab' uses TLS).
  const server = opts.tls
    ? https.createServer({ connectionsCheckingInterval: 2000, cert: opts.tls.cert, key: opts.tls.key }, app)
    : http.createServer({ connectionsCheckingInterval: 2000 }, app);
  server.on('upgrade', (req, socket, head) => {
    if (!hub.handleUpgrade(req, socket, head)) socket.destroy();
  });
  limitConnections(server, {
    maxPerAddress: opts.maxConnectionsPerAddress ?? DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
    headersTimeoutMs: opts.timeouts?.headersMs, idleTimeoutMs: opts.timeouts?.idleMs, log,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8952, opts.host ?? '127.0.0.1', () => resolve());
  });
  cluster.listening();
  const port = (server.address() as AddressInfo).port;
  const host = opts.host ?? '127.0.0.1';
  const url = `${opts.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;

  const timeoutTimer = setInterval(() => cluster.nodeLoss.checkTimeouts(), Math.min(1000, nodeTimeoutMs / 4));
  const reschedule = setInterval(() => cluster.dispatch.scheduleSoon(), 5000);
  const forgetAfter = opts.forgetNodesAfterMs ?? DEFAULT_FORGET_NODES_AFTER_MS;
  const forgetNodes = () => void cluster.nodeLoss.forgetOffline(forgetAfter).catch((err) => log(`forgetting offline nodes: ${(err as Error).message}`));
  forgetNodes();
  const forgetTimer = setInterval(forgetNodes, Math.min(3_600_000, Math.max(1000, forgetAfter / 4)));
  const sampleActivity = () => cluster.activity.add(Date.now(), heldPerNode(cluster.book.batches.values(), (doc) => cluster.book.index(doc).activePositions()));
  sampleActivity();
  const activityTimer = setInterval(sampleActivity, cluster.activity.stepMs);
  // Inputs of ended batches are not needed any more: delete those no live batch still names. Every
  // few minutes also forget batches left uploading for a day and delete orphaned uploads (no batch
  // names them) an hour after they were written.
  const gcInputs = () => {
    for (const doc of [...cluster.book.batches.values()]) {
      if (doc.record.phase === 'uploading' && Date.now() - doc.record.createdAt > ABANDONED_UPLOAD_MS) cluster.book.batches.delete(doc.record.id);
    }
    return collectInputs(archive.inputsRoot, () => cluster.book.batches.values(), { orphanGraceMs: ORPHAN_INPUT_GRACE_MS, retryKeepMs: RETRY_INPUTS_KEEP_MS })
      .then((gc) => { for (const d of gc.cleaned) store.touchBatchRecord(d); if (gc.removed.length) log(`removed ${gc.removed.length} unused inputs (${gc.bytes} bytes)`); });
  };
  cluster.events.on('batch:ended', () => void gcInputs());
  const inputSweep = setInterval(() => void gcInputs(), INPUT_SWEEP_MS);
  cluster.dispatch.scheduleSoon();

  return {
    url, port, cluster, adminTokenFile, agentTokenFile, adminToken: admin.token, agentToken: agent.token, store,
    async close() {
      clearInterval(timeoutTimer);
      clearInterval(reschedule);
      clearInterval(activityTimer);
      clearInterval(inputSweep);
      clearInterval(forgetTimer);
      disk.stop();
      hub.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
    },
  };
}
