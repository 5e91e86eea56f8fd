/**
 * The contract of the agent's local control endpoint (paths in ./routes.ts `controlRoutes`): the
 * agent's snapshot, which the tray, the status page and `distribute pause|resume` all read, and
 * the pause request. The agent core builds its snapshot as {@link AgentSnapshot}; the control
 * client checks every answer against {@link ControlStateSchema}.
 */
import { z } from 'zod';
import { CapabilitiesSchema } from '../protocol/capabilities.ts';

export const ConnectionSchema = z.enum(['connecting', 'connected', 'offline']);
export type Connection = z.infer<typeof ConnectionSchema>;

/** A job this agent runs now. */
export const CurrentJobSchema = z.object({
  batchId: z.string(),
  batch: z.string(),
  namespace: z.string(),
  job: z.string(),
  owner: z.string(),
  attempt: z.number().int(),
  /** Epoch ms the job started. */
  startedAt: z.number(),
  /** Paused time accumulated so far (ms). */
  pausedMs: z.number(),
  /** Epoch ms the job's processes were stopped (the current pause), null while running. */
  pausedAt: z.number().nullable().optional(),
  phase: z.enum(['waiting', 'downloading', 'building', 'running', 'uploading']),
  /** Cores the job was given (null: not known, a run of an older agent). */
  cores: z.number().nullable().optional(),
  /** Positions in the node's offered GPU list pinned to the job. */
  gpus: z.array(z.number()).optional(),
});
export type CurrentJob = z.infer<typeof CurrentJobSchema>;

/** A job this agent finished lately. */
export const RecentJobSchema = z.object({
  batch: z.string(),
  job: z.string(),
  outcome: z.string(),
  endedAt: z.number(),
  runMs: z.number(),
});
export type RecentJob = z.infer<typeof RecentJobSchema>;

/** This node's pause: `until` null = until resumed (capped by the agent's maximum at `capAt`). */
export const NodePauseSchema = z.object({ since: z.number(), until: z.number().nullable(), capAt: z.number().optional() });
export type NodePause = z.infer<typeof NodePauseSchema>;

/** A snapshot of the agent; the core emits a new one on every change. */
export const AgentSnapshotSchema = z.object({
  name: z.string(),
  headUrl: z.string(),
  connection: ConnectionSchema,
  /** Tags plus detected hardware, as sent in `hello`. */
  capabilities: CapabilitiesSchema,
  /** The first of `jobs` (null when none), for clients that show one job. */
  current: CurrentJobSchema.nullable(),
  /** Every job the node runs now (several when their requests fit side by side; absent from older agents). */
  jobs: z.array(CurrentJobSchema).optional(),
  /** What is left of the node's offer for more jobs (memory in bytes; absent from older agents). */
  free: z.object({ cpus: z.number(), memoryBytes: z.number(), gpus: z.number() }).optional(),
  pause: NodePauseSchema.nullable(),
  recent: z.array(RecentJobSchema),
});
export type AgentSnapshot = z.infer<typeof AgentSnapshotSchema>;

/** The answer of `GET /api/state`, `POST /api/pause` and `POST /api/resume`: the snapshot, the agent's clock and its pause cap. */
export const ControlStateSchema = AgentSnapshotSchema.extend({ now: z.number(), maxPauseMs: z.number() });
export type ControlState = z.infer<typeof ControlStateSchema>;

/** `POST /api/pause` body: `'1h'`, `'30m'`, ... or `'until-resumed'`; default one hour. */
export const ControlPauseRequestSchema = z.object({ duration: z.string().optional() });
export type ControlPauseRequest = z.infer<typeof ControlPauseRequestSchema>;
