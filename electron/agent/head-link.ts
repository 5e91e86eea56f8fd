/**
 * The agent's link to the head, as the agent core sees it: send a message, hear messages and
 * connection changes as events. The real link is the WebSocket of connection.ts; unit tests give
 * the agent a fake one (test/unit/electron/agent/fake-link.ts) and play the head themselves.
 */
import type { EventEmitter } from 'node:events';
import type { AgentMessage, HeadMessage, Hello } from '../../shared/protocol/index.ts';
import type { Clock } from './clock.ts';

/** The link's state, as the snapshot shows it. */
export type LinkState = 'connecting' | 'connected' | 'offline';

/** What to do after the head closed the link with a refusal: the default backoff, at once, or never again. */
export type AfterRefusal = 'default' | 'retry-now' | 'stop';

/** Events of a {@link HeadLink}. */
export interface HeadLinkEvents {
  /** A message from the head (already decoded and checked against its schema). */
  message: [HeadMessage];
  /** The link changed state; `detail` says why it went offline. */
  state: [LinkState, string?];
}

/** A connection to the head that keeps itself up (reconnecting) until stopped. */
export interface HeadLink extends EventEmitter<HeadLinkEvents> {
  start(): void;
  stop(): void;
  /** Sends `message` if the link is up and welcomed; false (dropped) if not. */
  send(message: AgentMessage): boolean;
  /** The link is up and the head welcomed it. */
  readonly connected: boolean;
  /** Resolves true once the link is welcomed (at once if it is), false after `timeoutMs`. */
  whenConnected(timeoutMs: number): Promise<boolean>;
}

/**
 * What a link asks its owner for. These are questions with answers (a hello that states what is
 * held now, the token of the moment, what to do about a refusal), so they are functions; what
 * happens on the link is told through events.
 */
export interface HeadLinkOptions {
  headUrl: string;
  /** The bearer token for each (re)connection: the node credential, or the enrollment token. */
  token: () => string;
  /** Asked on every close from the head; the agent decides about its credential here. */
  onClosed?: (code: number, reason: string) => AfterRefusal;
  /** Builds the hello for each (re)connection: it carries the jobs the agent holds now. */
  hello: () => Promise<Hello>;
  log: (line: string) => void;
  clock: Clock;
}

/** Makes the agent's link (the agent passes its own questions in). */
export type HeadLinkFactory = (opts: HeadLinkOptions) => HeadLink;
