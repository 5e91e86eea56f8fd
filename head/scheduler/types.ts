/**
 * Types of the pure scheduler: the snapshot of the cluster it reads and the assignments it returns.
 *
 * Glossary:
 * - accepting node: connected, alive, not paused, not leaving; only accepting nodes receive work.
 * - share: what one job occupies on a node (cores, memory, GPUs; see shared/batch/request.ts);
 *   null = the whole node (a job without a request, as every job was before requests).
 * - usage: the sum of the shares of the runs a node holds; a node takes a job when its share fits
 *   beside them (a whole-node job needs an empty node).
 * - held cores: the cores of the jobs an owner has assigned, running or paused (a whole-node job
 *   counts all the node's cores); fairness compares owners by these.
 * - built batch: a batch whose build step already succeeded on a node (the expensive part that
 *   makes a node prefer to stay on a batch, "sticky").
 * - drain: a node kept free of new work until it can take a job that fits nowhere now (see
 *   docs/scheduling.md, "Big jobs are not starved").
 * - owner: the user who submitted a batch; fairness is between owners, not between batches.
 * - job in hand (ahead): a job given to a node that has no room for it yet; its agent starts it
 *   the moment a running job's processes end, so short jobs follow each other without a round
 *   trip to the head. At most one per node, only from batches whose jobs run briefly.
 */
import type { Capabilities } from '../../shared/protocol/capabilities.ts';
import type { Resources } from '../../shared/config/types.ts';
import type { Share, Usage } from '../../shared/batch/request.ts';

/** One compute node as the scheduler sees it. */
export interface SchedulerNode {
  id: string;
  /** What it offers (cores, memory, GPUs) and its tags. */
  capabilities: Capabilities;
  /** connected, alive, not paused, not leaving */
  accepting: boolean;
  /** What the runs it holds occupy now. */
  usage: Usage;
  /** Batch ids whose build step succeeded on this node. */
  built: string[];
  /** batch ids whose build failed here */
  buildFailed: string[];
  /** batch of the last job this node ran */
  lastBatch: string | null;
  /** It may take a job in hand now: its agent keeps one (hello `takesAhead`) and holds none. */
  ahead?: boolean;
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
  /** Share of each job (null: the whole node), unless `jobShares` names the job. */
  share: Share | null;
  /** Jobs whose share differs from the batch's (they carry their own request). */
  jobShares?: Record<string, Share | null>;
  /** names of queued jobs in submission order */
  queued: string[];
  /** Its jobs run briefly (recent runs): nodes may take one in hand. */
  short?: boolean;
}

/** Everything `schedule` needs; built by the head from its store and agent sessions. */
export interface SchedulerState {
  nodes: SchedulerNode[];
  batches: SchedulerBatch[];
  /** Cores currently held (assigned/running/paused jobs) per owner. */
  runningByOwner: Record<string, number>;
  /**
   * The node drained for a big job in this call (from `planDrain`, which the head feeds the
   * previous call's drain); absent: `schedule` works it out without memory (`drainFor`).
   */
  drain?: { nodeId: string; batchId: string } | null;
}

/** "Give job `job` of batch `batchId` to node `nodeId`." */
export interface Assignment {
  nodeId: string;
  batchId: string;
  job: string;
  /** A job in hand: the node starts it when it has room. */
  ahead?: boolean;
}
