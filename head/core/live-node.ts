/** A compute node as the head holds it while running: its record, its socket, and its runs. */
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
export interface Holding { runId: string; batchId: string; job: string; attempt: number; exited?: { bytes: number } }

export interface LiveNode {
  record: NodeRecord;
  link: AgentLink | null;
  /** The runs the node is busy with, by run id (the official ones, or strays from before it was lost). */
  runs: Map<string, Holding>;
  /** Still counted as alive (not lost). */
  alive: boolean;
  /** The agent said it is stopping: it gets no new job on this connection. */
  leaving?: boolean;
  /**
   * After a head restart: silence before this moment does not count (the agent may still be
   * waiting out its reconnect backoff); see NodeRegistry.listening().
   */
  graceUntil?: number;
}

/** A node may be given jobs that fit beside its runs: connected, alive, not paused, not leaving. */
export function isAccepting(n: LiveNode): boolean {
  return n.link !== null && n.alive && !n.leaving && n.record.paused === null;
}
