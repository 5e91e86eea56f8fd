/**
 * The agent's WebSocket to the head: connects out (no inbound port on the workstation), says
 * hello, sends heartbeats, and reconnects with backoff whenever the socket drops; the backoff is
 * capped below the node timeout the head announced (`shared/protocol/reconnect.ts`). Messages sent
 * while disconnected are dropped: everything that matters is re-stated in the next hello.
 */
import { EventEmitter } from 'node:events';
import { WebSocket } from 'ws';
import { caOptions } from './lab-ca.ts';
import {
  AGENT_WS_PATH, CloseCode, closeCodeName, decodeFromHead, encode, reconnectCapMs, RunIdSchema,
  type AgentMessage,
} from '../../shared/protocol/index.ts';
import { Backoff } from './backoff.ts';
import type { TimerHandle } from './clock.ts';
import type { HeadLink, HeadLinkEvents, HeadLinkOptions, LinkState } from './head-link.ts';

export type { AfterRefusal } from './head-link.ts';

/** The link's options, plus the jitter source of the reconnect backoff (tests fix it). */
export interface ConnectionOptions extends HeadLinkOptions {
  random?: () => number;
}

/** The agent's {@link HeadLink} over a WebSocket. */
export class HeadConnection extends EventEmitter<HeadLinkEvents> implements HeadLink {
  private ws: WebSocket | null = null;
  private readonly backoff: Backoff;
  private heartbeat: TimerHandle | null = null;
  private retry: TimerHandle | null = null;
  private stopped = false;
  private welcomed = false;
  /** When the head last said anything: a head silent past its node timeout is treated as gone. */
  private lastHeard = 0;

  constructor(private readonly opts: ConnectionOptions) {
    super();
    this.backoff = new Backoff(undefined, undefined, opts.random);
  }

  private setState(state: LinkState, detail?: string): void {
    this.emit('state', state, detail);
  }

  start(): void {
    this.stopped = false;
    this.open();
  }

  /** Resolves true once a connection is welcomed (at once if it is), false after `timeoutMs`. */
  whenConnected(timeoutMs: number): Promise<boolean> {
    if (this.connected || this.stopped) return Promise.resolve(this.connected);
    const { clock } = this.opts;
    return new Promise((resolve) => {
      const done = () => {
        clock.clearTimeout(timer);
        this.off('state', onState);
        resolve(this.connected);
      };
      const onState = (s: LinkState) => {
        if (s === 'connected' || this.stopped) done();
      };
      const timer = clock.setTimeout(done, timeoutMs);
      this.on('state', onState);
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
    this.setState('connecting');
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
      this.lastHeard = this.opts.clock.now();
      const decoded = decodeFromHead(raw);
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
        this.setState('connected');
      }
      this.emit('message', msg);
    });
    ws.on('close', (code, reason) => {
      this.stopHeartbeat();
      this.welcomed = false;
      if (this.ws === ws) this.ws = null;
      const why = `${closeCodeName(code)}${reason.length ? `: ${reason.toString()}` : ''}`;
      this.setState('offline', why);
      if (this.stopped) return;
      const after = this.opts.onClosed?.(code, reason.toString()) ?? 'default';
      if (after === 'stop') {
        this.stopped = true;
        return;
      }
      const refused = code === CloseCode.unauthorized || code === CloseCode.versionMismatch || code === CloseCode.nameTaken;
      if (refused && after === 'default') this.opts.log(`head refused this agent (${why}); retrying slowly`);
      const delay = after === 'retry-now' ? 0 : refused ? 30_000 : this.backoff.next();
      this.retry = this.opts.clock.setTimeout(() => this.open(), delay);
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
    this.lastHeard = this.opts.clock.now();
    const { clock } = this.opts;
    this.heartbeat = clock.setInterval(() => {
      const silent = clock.now() - this.lastHeard;
      if (silent > Math.max(timeoutMs, 2 * ms)) {
        this.opts.log(`head silent for ${silent} ms; reconnecting`);
        this.drop();
        return;
      }
      this.send({ type: 'heartbeat', at: clock.now() });
    }, ms);
  }

  private stopHeartbeat(): void {
    this.opts.clock.clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  /** Drop the socket now (it reconnects after backoff); used when the head seems gone. */
  drop(): void {
    this.ws?.terminate();
  }

  stop(): void {
    this.stopped = true;
    this.stopHeartbeat();
    this.opts.clock.clearTimeout(this.retry);
    this.retry = null;
    if (this.ws) this.ws.close(CloseCode.normal, 'agent stopping');
    else this.setState('offline');
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
