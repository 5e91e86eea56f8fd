/** A compute node as the head holds it while running: its record, its presence, and its runs. */
import type { NodeState } from '../../shared/api/head-api.ts';
import type { HeadMessage } from '../../shared/protocol/messages.ts';
import type { NodeRecord } from '../state/types.ts';

/** A connected agent, as the cluster sees it: something to send messages to. */
export interface AgentLink {
  send(message: HeadMessage): void;
  close(code: number, reason: string): void;
}

/** Who sent a message: the node's name (from its hello) and the connection it came on. */
export interface Sender {
  node: string;
  link: AgentLink;
}

/**
 * One run of a job: its run id, and which attempt of which job of which batch it is. `exited`:
 * the run's processes ended (`job-exited`) and its results, `bytes` in all, are being uploaded or
 * archived: it occupies none of the node's share any more, but the node still holds it (a node
 * lost now re-queues it; only `result-ack` ends it).
 */
export interface Holding {
  runId: string; batchId: string; job: string; attempt: number; exited?: { bytes: number };
  /** Assigned ahead (the node starts it when it has room); cleared by its `job-started`. */
  ahead?: boolean;
}

/**
 * Where a node stands with the head, as a tagged union (node-registry.ts makes every move):
 *
 * ```
 *            hello                leaving              socket closed
 *  (any) ──────────▶ connected ──────────▶ leaving ──────────────▶ offline
 *                        │ socket closed                              │ silent past the timeout
 *                        └──────────────────────────▶ offline ────────┴──────────▶ lost
 *  head restart: connected at the crash ─▶ awaited ─(silent past its window)─▶ lost
 *                otherwise              ─▶ offline
 * ```
 * A connected or leaving node silent past the timeout is lost too (its socket is closed).
 * `graceUntil`: silence before this moment does not count (after a head restart the agent may
 * still be waiting out its reconnect backoff; after the head itself froze, see checkTimeouts).
 */
export type Presence =
  | { state: 'connected'; link: AgentLink; graceUntil: number | null }
  /** Connected, but the agent said it is stopping: it gets no new job on this connection. */
  | { state: 'leaving'; link: AgentLink; graceUntil: number | null }
  /** Connected when the head went down and not back since: scheduling waits for it (see NodeRegistry.recovering). */
  | { state: 'awaited'; graceUntil: number }
  /** Not connected, not yet silent past the timeout. */
  | { state: 'offline'; graceUntil: number | null }
  /** Silent past the timeout: its jobs were re-queued. Its next hello connects it again. */
  | { state: 'lost' };

export interface LiveNode {
  record: NodeRecord;
  presence: Presence;
  /** The runs the node is busy with, by run id (the official ones, or strays from before it was lost). */
  runs: Map<string, Holding>;
  /** Its agent keeps a job assigned ahead until it has room (hello `takesAhead`). */
  takesAhead?: boolean;
}

/** The node's open connection, if any. */
export function linkOf(n: LiveNode): AgentLink | null {
  return n.presence.state === 'connected' || n.presence.state === 'leaving' ? n.presence.link : null;
}

/** A node may be given jobs that fit beside its runs: connected (not leaving, not lost) and not paused. */
export function isAccepting(n: LiveNode): boolean {
  return n.presence.state === 'connected' && n.record.paused === null;
}

/**
 * One word for a node, derived from its presence: `stopped` (its agent said it was leaving and
 * disconnected: a clean stop, not a fault), `lost` (silent past the timeout), `offline`
 * (disconnected or not back since a head restart, not yet timed out), `paused`, `busy` or `idle`.
 */
export function nodeState(n: LiveNode, hasJob: boolean): NodeState {
  const p = n.presence;
  if (p.state !== 'connected' && p.state !== 'leaving' && n.record.leftAt) return 'stopped';
  switch (p.state) {
    case 'lost': return 'lost';
    case 'awaited':
    case 'offline': return 'offline';
    default:
      if (n.record.paused) return 'paused';
      return hasJob || n.runs.size ? 'busy' : 'idle';
  }
}
