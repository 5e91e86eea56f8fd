/**
 * Types of the pure scheduler: the snapshot of the cluster it reads and the assignments it returns.
 *
 * Glossary:
 * - free node: connected, not paused, holding no job; only free nodes receive work.
 * - held job: a job assigned to, running on or paused on a node; fairness counts these per owner.
 * - built batch: a batch whose build step already succeeded on a node (the expensive part that
 *   makes a node prefer to stay on a batch, "sticky").
 * - owner: the user who submitted a batch; fairness is between owners, not between batches.
 */
import type { Capabilities } from '../../shared/protocol/capabilities.ts';
import type { Resources } from '../../shared/config/types.ts';

/** One compute node as the scheduler sees it. */
export interface SchedulerNode {
  id: string;
  capabilities: Capabilities;
  /** connected, not paused, holds no job */
  free: boolean;
  /** Batch ids whose build step succeeded on this node. */
  built: string[];
  /** batch ids whose build failed here */
  buildFailed: string[];
  /** batch of the last job this node ran */
  lastBatch: string | null;
}

/** One batch that may still have work to hand out. */
export interface SchedulerBatch {
  id: string;
  owner: string;
  /** Submission time (epoch ms); older batches of an owner go first. */
  createdAt: number;
  /** Tags a node must advertise. */
  capabilities: string[];
  /** Hardware minimums a node must meet. */
  resources: Resources;
  /** names of queued jobs in submission order */
  queued: string[];
}

/** Everything `schedule` needs; built by the head from its store and agent sessions. */
export interface SchedulerState {
  nodes: SchedulerNode[];
  batches: SchedulerBatch[];
  /** jobs currently held (assigned/running/paused) per owner */
  runningByOwner: Record<string, number>;
}

/** "Give job `job` of batch `batchId` to node `nodeId`." */
export interface Assignment {
  nodeId: string;
  batchId: string;
  job: string;
}
