/**
 * The WebSocket hub for agents. Upgrades on {@link AGENT_WS_PATH} go through the same token check
 * as HTTP; a bad token, a wrong protocol version or garbage on the socket closes it with a named
 * code (see shared/protocol/messages.ts `CloseCode`). Each socket becomes an agent session that
 * feeds the cluster.
 *
 * Who may say hello as whom: a node credential only as its own node; the enrollment token only
 * as a node name nobody enrolled yet, which it enrolls (the welcome carries the new credential).
 * The enrollment token presented for an enrolled name is refused with `nameTaken` and the node
 * holding that name is not touched. Every socket has a message budget (message-rate.ts); a node
 * over it is closed with `rateLimited`.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  AGENT_WS_PATH, CloseCode, decodeFromAgent, MAX_MESSAGE_BYTES, PROTOCOL_VERSION, encode,
  type AgentMessage, type HeadMessage, type Hello,
} from '../../shared/protocol/index.ts';
import { printable } from '../../shared/names.ts';
import { bearer, resolveToken, type TokenBook } from '../auth/tokens.ts';
import type { AgentLink, Cluster } from '../core/cluster.ts';
import type { Principal } from '../state/types.ts';
import { DEFAULT_RATE_LIMIT, MessageRate, type RateLimit } from './message-rate.ts';

export interface AgentHubOptions {
  cluster: Cluster;
  tokens: TokenBook;
  /** Close a socket that has not said hello within this time. */
  helloTimeoutMs?: number;
  /** Messages per socket (default {@link DEFAULT_RATE_LIMIT}). */
  rateLimit?: RateLimit;
  log?: (line: string) => void;
}

type AgentPrincipal = Extract<Principal, { kind: 'agent' | 'enroll' }>;

/** A session's link, which can also hold messages back to send them with the next one. */
interface HubLink extends AgentLink {
  /** Queue `message` to go out ahead of the next message sent, in the same socket write. */
  hold(message: HeadMessage): void;
  /** Send what is held now (nothing when the socket closed meanwhile). */
  flush(): void;
}

export class AgentHub {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  private readonly log: (line: string) => void;

  constructor(private readonly opts: AgentHubOptions) {
    this.log = opts.log ?? (() => {});
  }

  /** Attach to an http server's `upgrade` event. Returns false for paths that are not ours. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== AGENT_WS_PATH) return false;
    const principal = resolveToken(this.opts.tokens, bearer(req.headers.authorization));
    const from = req.socket.remoteAddress ?? '?';
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      if (!principal || (principal.kind !== 'agent' && principal.kind !== 'enroll')) {
        ws.close(CloseCode.unauthorized, principal ? 'this token may not join as an agent' : 'missing or invalid agent token');
        return;
      }
      this.session(ws, socket, principal, from);
    });
    return true;
  }

  /**
   * Check a hello against who presents it; enroll a new name. Resolves with the credential to hand
   * over (enrollment), undefined (known node), or null after closing the socket.
   */
  private async admit(msg: Hello, principal: AgentPrincipal, link: AgentLink, from: string): Promise<string | undefined | null> {
    const cluster = this.opts.cluster;
    if (principal.kind === 'agent') {
      if (msg.name === principal.name) return undefined;
      this.log(`refused hello as node ${msg.name} from ${from}: the credential belongs to node ${principal.name}`);
      link.close(CloseCode.unauthorized, `this credential belongs to node '${principal.name}'`);
      return null;
    }
    if (cluster.enrollment.credentials.isEnrolled(msg.name)) {
      this.log(`refused enrollment of node ${msg.name} from ${from}: the name is enrolled already`);
      link.close(CloseCode.nameTaken, `node name '${msg.name}' is enrolled already; the head admin can free it with: distribute nodes rm ${msg.name}`);
      return null;
    }
    return cluster.enrollment.enroll(msg.name);
  }

  private session(ws: WebSocket, socket: Duplex, principal: AgentPrincipal, from: string): void {
    const cluster = this.opts.cluster;
    let name: string | null = null;
    /** Between a hello and its welcome (enrollment is written to disk first). */
    let admitting = false;
    const rate = new MessageRate(this.opts.rateLimit ?? DEFAULT_RATE_LIMIT);
    /** Encoded messages waiting to go out with the next one (see {@link HubLink.hold}). */
    let held: string[] = [];
    const link: HubLink = {
      send: (m: HeadMessage) => {
        if (ws.readyState !== ws.OPEN) return;
        if (!held.length) {
          ws.send(encode(m));
          return;
        }
        // The held frames and this one in one write: the socket gathers what ws writes while
        // corked into a single writev (ws's own cork around each frame nests inside this one).
        socket.cork();
        link.flush();
        ws.send(encode(m));
        socket.uncork();
      },
      hold: (m: HeadMessage) => { held.push(encode(m)); },
      flush: () => {
        const out = held;
        if (!out.length) return;
        held = [];
        if (ws.readyState !== ws.OPEN) return;
        socket.cork();
        for (const data of out) ws.send(data);
        socket.uncork();
      },
      close: (code, reason) => ws.close(code, reason),
    };
    const helloTimer = setTimeout(() => ws.close(CloseCode.badMessage, 'no hello received'), this.opts.helloTimeoutMs ?? 10_000);

    ws.on('message', (raw) => {
      if (ws.readyState !== ws.OPEN) return;
      if (!rate.take()) {
        const limit = this.opts.rateLimit ?? DEFAULT_RATE_LIMIT;
        this.log(`agent ${name ?? '(unnamed)'} from ${from}: more than ${limit.perSecond} messages per second (burst ${limit.burst}); closing`);
        ws.close(CloseCode.rateLimited, `more than ${limit.perSecond} messages per second`);
        return;
      }
      const decoded = decodeFromAgent(raw);
      if (!decoded.ok) {
        this.log(`agent ${name ?? '(unnamed)'}: ${printable(decoded.error)}; closing`);
        ws.close(CloseCode.badMessage, decoded.error.slice(0, 120));
        return;
      }
      const msg = decoded.message;
      if (name === null) {
        if (admitting || msg.type !== 'hello') {
          ws.close(CloseCode.badMessage, admitting ? `${msg.type} before welcome` : `expected hello, got ${msg.type}`);
          return;
        }
        clearTimeout(helloTimer);
        if (msg.protocol !== PROTOCOL_VERSION) {
          ws.close(CloseCode.versionMismatch, `protocol ${msg.protocol} not supported; head speaks ${PROTOCOL_VERSION}`);
          return;
        }
        admitting = true;
        this.admit(msg, principal, link, from).then((credential) => {
          admitting = false;
          if (credential === null) return;
          if (ws.readyState !== ws.OPEN) {
            // Gone before it could receive its credential: free the name again.
            if (credential) void cluster.enrollment.cancel(msg.name);
            return;
          }
          name = msg.name;
          this.log(`agent ${name} connected (${msg.capabilities.physicalCores} cores, tags ${msg.capabilities.tags.join(',') || '-'})`);
          cluster.registry.hello(msg, link, credential);
        }, (err) => {
          this.log(`agent ${msg.name}: enrollment failed: ${(err as Error).message}`);
          ws.close(CloseCode.shuttingDown, 'enrollment could not be stored; try again');
        });
        return;
      }
      cluster.registry.seen(name);
      void this.dispatch(name, msg, link).catch((err) => this.log(`agent ${name}: handling ${msg.type} failed: ${(err as Error).stack}`));
    });
    ws.on('pong', () => { if (name) cluster.registry.seen(name); });
    ws.on('close', () => {
      clearTimeout(helloTimer);
      if (name) {
        this.log(`agent ${name} disconnected`);
        cluster.registry.disconnected(name, link);
      }
    });
    ws.on('error', (err) => this.log(`agent ${name ?? '(unnamed)'} socket error: ${err.message}`));
  }

  private async dispatch(node: string, msg: AgentMessage, link: HubLink): Promise<void> {
    const cluster = this.opts.cluster;
    const from = { node, link };
    switch (msg.type) {
      case 'hello':
        link.close(CloseCode.badMessage, 'hello sent twice');
        return;
      case 'heartbeat':
        link.send({ type: 'heartbeat', at: Date.now() });
        return;
      case 'job-started':
        cluster.reports.started(from, msg.runId);
        return;
      case 'job-log':
        cluster.reports.log(from, msg.runId, msg.stream, msg.data);
        return;
      case 'job-paused':
        cluster.reports.paused(from, msg.runId, msg.until);
        return;
      case 'job-resumed':
        cluster.reports.resumed(from, msg.runId);
        return;
      case 'job-exited':
        cluster.reports.exited(from, msg.runId, msg.bytes);
        return;
      case 'node-paused':
        cluster.registry.paused(node, msg.until);
        return;
      case 'node-resumed':
        cluster.registry.resumed(node);
        return;
      case 'job-rejected':
        cluster.reports.rejected(from, msg.runId, msg.reason, msg.unstarted === true);
        return;
      case 'build-failed':
        cluster.builds.failed(node, msg.batchId, msg.log);
        return;
      case 'leaving':
        cluster.registry.leaving(node);
        return;
      case 'build-succeeded':
        cluster.builds.succeeded(node, msg.batchId);
        return;
      case 'job-finished': {
        const outcome = await cluster.finisher.jobFinished(from, msg);
        if (outcome === 'later') return; // archive disk full: the agent asks again (result-reporter.ts)
        if (typeof outcome === 'string') {
          // The run is archived (or discarded) already, and the node has room now: the scheduling
          // pass this report started usually hands it its next job. The ack waits for that pass
          // and leaves in the same write as that `assign` (one socket write and one wake-up of
          // the agent less per job), or at the pass's end when the node gets nothing.
          link.hold({ type: 'result-ack', runId: msg.runId, status: outcome });
          cluster.dispatch.afterNextPass(link.flush);
        } else link.send({ type: 'result-ack', runId: msg.runId, status: 'missing-files', missing: outcome.missing });
        return;
      }
    }
  }

  close(): void {
    for (const ws of this.wss.clients) ws.close(CloseCode.shuttingDown, 'head shutting down');
    this.wss.close();
  }
}
