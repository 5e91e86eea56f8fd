/**
 * The head's model of the cluster. Glossary:
 * - batch record: what the head knows about a submitted batch besides its jobs.
 * - job: see shared/job/state.ts; a batch's jobs are kept in spec order (index = position).
 * - node: a compute node (agent) known by name; `session` is set while it is connected.
 * - principal: who makes a request: the admin, a user, or an agent.
 * - run: one assignment of a job to a node, named by a random run id (shared/job/run-id.ts).
 */
import type { BatchOutcome } from '../../shared/batch/batch-end.ts';
import type { BatchSpec } from '../../shared/batch/spec.ts';
import type { Job } from '../../shared/job/state.ts';
import type { Capabilities } from '../../shared/protocol/capabilities.ts';
import type { NodeCredential } from '../auth/node-credentials.ts';

export type BatchPhase = BatchRecord['phase'];

/** What a batch record holds in every phase. */
export interface BatchRecordBase {
  id: string;
  namespace: string;
  name: string;
  owner: string;
  createdAt: number;
  /** Node names where the build step failed, with the tail of the build log. */
  buildFailures: Record<string, string>;
  /**
   * Per job re-queued by `retry`: the attempt whose archived result the new run will replace.
   * After a restart that result is not taken for the job's new one. Absent in older data folders.
   */
  retried?: Record<string, number>;
}

/**
 * What the head knows about a batch besides its jobs, as a tagged union: each phase carries only
 * its own data. `uploading`: created, inputs on their way, never acknowledged; `active`: submitted
 * (durable), its jobs are scheduled; `ended`: every job is done. Records are replaced, never
 * changed in place (see head/state/batch-record.ts: the one function that ends a batch, and the
 * migration of the flat records of older data folders).
 */
export type BatchRecord =
  | (BatchRecordBase & { phase: 'uploading' })
  | (BatchRecordBase & { phase: 'active'; submittedAt: number })
  | (BatchRecordBase & {
      phase: 'ended';
      submittedAt: number;
      outcome: BatchOutcome;
      endedAt: number;
      /** The batch's inputs were deleted from the head. */
      inputsCleaned: boolean;
    });

/** A batch as kept in memory and persisted: record, immutable spec, and jobs in spec order. */
export interface BatchDoc {
  record: BatchRecord;
  spec: BatchSpec;
  jobs: Job[];
}

/**
 * One run as the head records it durably before the node hears of it (`assign`): which job, which
 * node, and the hash of the run's key. The run journal (see store.ts) holds one per assignment.
 */
export interface RunRecord {
  runId: string;
  batchId: string;
  job: string;
  node: string;
  attempt: number;
  /** sha256 of the run key; null for a run migrated from version 0.1 (it had no key). */
  keyHash: string | null;
  at: number;
}

export interface UserRecord {
  name: string;
  /** sha256 of the token; tokens themselves are never stored. */
  tokenHash: string;
  admin: boolean;
  createdAt: number;
}

export interface NodeRecord {
  name: string;
  owner: string | null;
  capabilities: Capabilities;
  lastSeen: number;
  connectedAt: number | null;
  built: string[];
  lastBatch: string | null;
  /** Pause reported by the agent (or asked by the head): until when, null = until resumed. */
  paused: { since: number; until: number | null } | null;
  agentVersion: string;
  /**
   * The longest reconnect delay the agent may use, from the node timeout it was told in its
   * welcome (`shared/protocol/reconnect.ts`); a restarted head waits this long plus one timeout.
   * Absent in data folders written before it existed: the agents' absolute maximum is assumed.
   */
  reconnectWithinMs?: number;
  /** When the agent said it was stopping on purpose (`leaving`); cleared by its next hello. */
  leftAt?: number | null;
  /** Since when the node is offline (null or absent: connected, or not known yet). */
  offlineSince?: number | null;
}

export interface MetaDoc {
  users: UserRecord[];
  nodes: NodeRecord[];
  /** Enrolled nodes (absent in data folders of 0.1: nobody is enrolled yet). */
  credentials?: NodeCredential[];
}

/**
 * `agent` is an enrolled node (its name is the node's); `enroll` presents the enrollment token,
 * which may only open an agent socket to enroll a new node name.
 */
export type Principal =
  | { kind: 'admin'; name: string }
  | { kind: 'user'; name: string }
  | { kind: 'agent'; name: string }
  | { kind: 'enroll'; name: 'enrollment' };
