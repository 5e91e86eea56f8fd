/**
 * Typed events of the head: the seam for logging, notifications and for tests to wait on.
 */
import { EventEmitter } from 'node:events';
import type { JobResult } from '../../shared/job/state.ts';
import type { BatchEnd } from '../../shared/batch/batch-end.ts';

export interface HeadEvents {
  'job:assigned': [{ batchId: string; job: string; node: string; runId: string; attempt: number }];
  'job:started': [{ batchId: string; job: string; node: string; runId: string; attempt: number }];
  'job:log': [{ batchId: string; job: string; runId: string; attempt: number; stream: 'stdout' | 'stderr'; data: string }];
  'job:finished': [{ batchId: string; job: string; node: string; runId: string; attempt: number; result: JobResult; archived: boolean }];
  'job:requeued': [{ batchId: string; job: string; node: string; runId: string; reason: string }];
  'batch:ended': [BatchEnd];
  /** Any change of a job's state (the dashboard's live updates follow these). */
  'job:changed': [{ batchId: string; job: string }];
  /** A batch was submitted, re-opened by retry or removed (its record changed, not only a job). */
  'batch:changed': [{ batchId: string }];
  /** A node's record changed: connected, disconnected, paused, resumed, lost, stopped. */
  'node:changed': [{ node: string | null }];
  'node:connected': [{ node: string }];
  'node:lost': [{ node: string; reason: string }];
  /** The archive disk's state changed (ok, low, full): the dashboard's live frames carry it. */
  'archive:changed': [];
}

export class HeadEventBus extends EventEmitter<HeadEvents> {}
