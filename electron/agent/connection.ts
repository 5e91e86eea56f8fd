/**
 * The agent's WebSocket to the head: connects out (no inbound port on the workstation), says
 * hello, sends heartbeats, and reconnects with backoff whenever the socket drops; the backoff is
 * capped below the node timeout the head announced (`shared/protocol/reconnect.ts`). Messages sent
 * while disconnected are dropped: everything that matters is re-stated in the next hello.
 */
import { WebSocket } from 'ws';
import { caOptions } from './lab-ca.ts';
import {
  AGENT_WS_PATH, CloseCode, closeCodeName, decodeHeadMessage, encode, reconnectCapMs, RunIdSchema,
  type AgentMessage, type HeadMessage, type Hello,
} from '../../shared/protocol/index.ts';
import { Backoff } from './backoff.ts';

/** What to do after the head closed the socket with a refusal: the default backoff, at once, or never again. */
export type AfterRefusal = 'default' | 'retry-now' | 'stop';

export interface ConnectionOptions {
  headUrl: string;
  /** The bearer token for each (re)connection: the node credential, or the enrollment token. */
  token: () => string;
  /** Asked on every close from the head; the agent decides about its credential here. */
  onClosed?: (code: number, reason: string) => AfterRefusal;
  /** Builds the hello for each (re)connection: it carries the jobs the agent holds now. */
  hello: () => Promise<Hello>;
  onMessage: (message: HeadMessage) => void;
  onState: (state: 'connecting' | 'connected' | 'offline', detail?: string) => void;
  log: (line: string) => void;
}

export class HeadConnection {
  private ws: WebSocket | null = null;
  private readonly backoff = new Backoff();
  private heartbeat: NodeJS.Timeout | null = null;
  private retry: NodeJS.Timeout | null = null;
  private stopped = false;
  private welcomed = false;
  /** When the head last said anything: a head silent past its node timeout is treated as gone. */
  private lastHeard = 0;

  constructor(private readonly opts: ConnectionOptions) {}

  start(): void {
    this.stopped = false;
    this.open();
  }

  /** Resolves true once a connection is welcomed (at once if it is), false after `timeoutMs`. */
  whenConnected(timeoutMs: number): Promise<boolean> {
    if (this.connected) return Promise.resolve(true);
    return new Promise((resolve) => {
      const started = Date.now();
      const poll = setInterval(() => {
        if (this.connected || this.stopped || Date.now() - started >= timeoutMs) {
          clearInterval(poll);
          resolve(this.connected);
        }
      }, 50);
    });
  }

  get connected(): boolean {
    return this.welcomed && this.ws?.readyState === WebSocket.OPEN;
  }

  send(message: AgentMessage): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN || !this.welcomed) return false;
    this.ws.send(encode(message));
    return true;
  }

  private open(): void {
    if (this.stopped) return;
    this.opts.onState('connecting');
    const url = new URL(AGENT_WS_PATH, this.opts.headUrl.replace(/^http/, 'ws'));
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${this.opts.token()}` }, handshakeTimeout: 10_000, ...caOptions() });
    this.ws = ws;
    this.welcomed = false;
    ws.on('open', () => {
      this.opts.hello().then((hello) => {
        if (ws.readyState === WebSocket.OPEN) ws.send(encode(hello));
      }, (err) => this.opts.log(`cannot build hello: ${(err as Error).message}`));
    });
    ws.on('message', (raw) => {
      this.lastHeard = Date.now();
      const decoded = decodeHeadMessage(raw);
      if (!decoded.ok) {
        this.opts.log(`bad message from head: ${decoded.error}`);
        // An assignment this agent cannot read (e.g. a job stored before the head checked it) is
        // rejected by its run reference, so the head does not wait for it forever.
        const ref = assignRef(raw);
        if (ref) this.send({ type: 'job-rejected', ...ref, reason: `cannot take the job: ${decoded.error}`.slice(0, 500) });
        return;
      }
      const msg = decoded.message;
      if (msg.type === 'welcome') {
        this.welcomed = true;
        this.backoff.reset();
        // Reconnect well within the head's node timeout, so a head restart never finds this
        // (healthy) node silent past it (shared/protocol/reconnect.ts).
        this.backoff.capAt(reconnectCapMs(msg.timeoutMs));
        this.startHeartbeat(msg.heartbeatMs, msg.timeoutMs);
        this.opts.onState('connected');
      }
      this.opts.onMessage(msg);
    });
    ws.on('close', (code, reason) => {
      this.stopHeartbeat();
      this.welcomed = false;
      if (this.ws === ws) this.ws = null;
      const why = `${closeCodeName(code)}${reason.length ? `: ${reason.toString()}` : ''}`;
      this.opts.onState('offline', why);
      if (this.stopped) return;
      const after = this.opts.onClosed?.(code, reason.toString()) ?? 'default';
      if (after === 'stop') {
        this.stopped = true;
        return;
      }
      const refused = code === CloseCode.unauthorized || code === CloseCode.versionMismatch || code === CloseCode.nameTaken;
      if (refused && after === 'default') this.opts.log(`head refused this agent (${why}); retrying slowly`);
      const delay = after === 'retry-now' ? 0 : refused ? 30_000 : this.backoff.next();
      this.retry = setTimeout(() => this.open(), delay);
    });
    ws.on('error', (err) => this.opts.log(`connection: ${err.message}`));
  }

  /**
   * Heartbeats every `ms`; the head answers each. A connection on which the head stayed silent for
   * `timeoutMs` (a cut cable, a frozen or vanished head machine) may never report an error, so it
   * is dropped here and the agent reconnects.
   */
  private startHeartbeat(ms: number, timeoutMs: number): void {
    this.stopHeartbeat();
    this.lastHeard = Date.now();
    this.heartbeat = setInterval(() => {
      const silent = Date.now() - this.lastHeard;
      if (silent > Math.max(timeoutMs, 2 * ms)) {
        this.opts.log(`head silent for ${silent} ms; reconnecting`);
        this.drop();
        return;
      }
      this.send({ type: 'heartbeat', at: Date.now() });
    }, ms);
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  /** Drop the socket now (it reconnects after backoff); used when the head seems gone. */
  drop(): void {
    this.ws?.terminate();
  }

  stop(): void {
    this.stopped = true;
    this.stopHeartbeat();
    if (this.retry) clearTimeout(this.retry);
    this.ws?.close(CloseCode.normal, 'agent stopping');
    this.ws = null;
  }
}

/** The run reference of a raw `assign` message that failed to decode, when it has a valid one. */
function assignRef(raw: unknown): { runId: string } | null {
  try {
    const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : typeof raw === 'string' ? raw : '';
    const m = JSON.parse(text) as { type?: unknown; runId?: unknown };
    if (m.type !== 'assign' || !RunIdSchema.safeParse(m.runId).success) return null;
    return { runId: m.runId as string };
  } catch {
    return null;
  }
}
