/** A compute node as the head holds it while running: its record, its socket, and its run. */
import type { HeadMessage } from '../../shared/protocol/messages.ts';
import type { NodeRecord } from '../state/types.ts';

/** A connected agent, as the cluster sees it: something to send messages to. */
export interface AgentLink {
  send(message: HeadMessage): void;
  close(code: number, reason: string): void;
}

/** One run of a job: which attempt of which job of which batch. */
export interface Holding { batchId: string; job: string; attempt: number }

export interface LiveNode {
  record: NodeRecord;
  link: AgentLink | null;
  /** The run the node is busy with (the official one, or a stray from before it was lost). */
  holding: Holding | null;
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

export function sameRun(a: Holding, b: Holding): boolean {
  return a.batchId === b.batchId && a.job === b.job && a.attempt === b.attempt;
}

/** A node may be given a job: connected, alive, not paused, holding nothing. */
export function isFree(n: LiveNode): boolean {
  return n.link !== null && n.alive && !n.leaving && n.holding === null && n.record.paused === null;
}
