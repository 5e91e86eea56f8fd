/**
 * The head's HTTP contract: one zod schema per request and response body of the user API
 * (routes in ./routes.ts). The head builds its responses as these types and the typed client
 * (./head-client.ts) checks every response against them, so neither side casts.
 *
 * Glossary: a *batch view* is a batch as the API shows it (record, counts per state, build
 * failures); a *job view* is one job in the state it is in, carrying only that state's data; a
 * *node view* is a node with its state, free capacity and the runs it holds.
 */
import { z } from 'zod';
import { BatchOutcomeSchema } from '../batch/batch-end.ts';
import { BatchSpecSchema, ResourcesSchema } from '../batch/spec.ts';
import { checkRelativePath } from '../names.ts';
import { safeName } from '../name-schemas.ts';
import { SHA256_PATTERN } from './routes.ts';
import { CapabilitiesSchema } from '../protocol/capabilities.ts';
import { JobOutcomeSchema, JobResultSchema } from '../job/result.ts';

/** Every error answer of the head: `{ error }`, sometimes with more detail (see {@link CreateBatchRefusalSchema}). */
export const ErrorBodySchema = z.object({ error: z.string() });
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/** `GET /api/health` (no token). */
export const HealthSchema = z.object({ ok: z.literal(true), version: z.string() });
export type Health = z.infer<typeof HealthSchema>;

/** `GET /api/whoami`. */
export const WhoAmISchema = z.object({ name: z.string(), kind: z.enum(['admin', 'user']) });
export type WhoAmI = z.infer<typeof WhoAmISchema>;

export const BatchPhaseSchema = z.enum(['uploading', 'active', 'ended']);
export type BatchPhase = z.infer<typeof BatchPhaseSchema>;

/** Jobs of a batch per state, and done jobs per outcome (`failed` includes killed and spawn-failed). */
export const JobCountsSchema = z.object({
  queued: z.number().int(), assigned: z.number().int(), running: z.number().int(), paused: z.number().int(),
  succeeded: z.number().int(), failed: z.number().int(), cancelled: z.number().int(), buildFailed: z.number().int(),
});
export type JobCounts = z.infer<typeof JobCountsSchema>;

/** A batch as `status`, `submit`, `kill` and `GET /api/batches/:ref` show it. */
export const BatchViewSchema = z.object({
  id: z.string(),
  namespace: z.string(),
  name: z.string(),
  owner: z.string(),
  kind: BatchSpecSchema.shape.kind,
  phase: BatchPhaseSchema,
  outcome: BatchOutcomeSchema.nullable(),
  createdAt: z.number(),
  submittedAt: z.number().nullable(),
  endedAt: z.number().nullable(),
  total: z.number().int(),
  counts: JobCountsSchema,
  capabilities: z.array(z.string()),
  resources: ResourcesSchema,
  /** Node name → tail of its build log, for nodes where the batch's build failed. */
  buildFailures: z.record(z.string(), z.string()),
});
export type BatchView = z.infer<typeof BatchViewSchema>;

const jobBase = { name: z.string(), attempts: z.number().int(), retries: z.number().int() };
const held = { node: z.string(), attempt: z.number().int() };
/** One job, carrying only the data of the state it is in. `runMs` excludes paused time. */
export const JobViewSchema = z.discriminatedUnion('state', [
  z.object({ ...jobBase, state: z.literal('queued'), since: z.number() }),
  z.object({ ...jobBase, ...held, state: z.literal('assigned'), assignedAt: z.number() }),
  z.object({ ...jobBase, ...held, state: z.literal('running'), startedAt: z.number(), runMs: z.number() }),
  z.object({
    ...jobBase, ...held, state: z.literal('paused'), startedAt: z.number(), pausedAt: z.number(),
    pausedUntil: z.number().nullable(), runMs: z.number(),
  }),
  z.object({
    ...jobBase, state: z.literal('done'), node: z.string().nullable(), attempt: z.number().int(),
    outcome: JobOutcomeSchema,
    result: JobResultSchema, startedAt: z.number().nullable(), endedAt: z.number(), runMs: z.number(),
  }),
]);
export type JobView = z.infer<typeof JobViewSchema>;

/** Archive size of a finished job, present when the batch is asked for `?files`. */
export const JobFilesSchema = z.object({ bytes: z.number().nullable().optional(), files: z.number().nullable().optional() });

/**
 * `GET /api/batches/:ref[?files]`: the batch and every job. `?jobs=none` asks for the batch alone
 * (a {@link BatchView}); a head older than that query sends every job, which a client checking the
 * answer as a BatchView drops.
 */
export const BatchDetailSchema = BatchViewSchema.extend({ jobs: z.array(z.intersection(JobViewSchema, JobFilesSchema)) });
export type BatchDetail = z.infer<typeof BatchDetailSchema>;

/** A job a node holds right now, with its batch (the RUNNING table of `status`). */
export const RunningJobSchema = z.intersection(JobViewSchema, z.object({
  batchId: z.string(), namespace: z.string(), batch: z.string(), owner: z.string(),
}));
export type RunningJob = z.infer<typeof RunningJobSchema>;

export const NodeStateSchema = z.enum(['stopped', 'lost', 'offline', 'paused', 'busy', 'idle']);
export type NodeState = z.infer<typeof NodeStateSchema>;

/**
 * A node's capabilities as the API shows them. The head only stores tags that passed the
 * protocol's label rules (CapabilitiesSchema); a client does not re-check them, it escapes
 * whatever it prints, so one odd tag cannot make `status` unreadable.
 */
export const CapabilitiesViewSchema = CapabilitiesSchema.extend({ tags: z.array(z.string()) });

/** Cores, memory (GiB) and GPUs of a node: what it offers, or what is free of it. */
export const NodeRoomSchema = z.object({ cpus: z.number(), memoryGb: z.number(), gpus: z.number() });

/** One run a node holds: `state` is the job's (`stray` for a run the head no longer counts as the job's). */
export const NodeRunSchema = z.object({
  runId: z.string(), batchId: z.string(), batch: z.string(), namespace: z.string(), job: z.string(), attempt: z.number(),
  state: z.string(),
  /** The run's request (null: it has the whole node). */
  request: NodeRoomSchema.nullable(),
});

/** A node as `nodes` and `status` show it. */
export const NodeViewSchema = z.object({
  name: z.string(),
  state: NodeStateSchema,
  owner: z.string().nullable(),
  capabilities: CapabilitiesViewSchema,
  lastSeen: z.number(),
  /** The node's pause: until when, null = until resumed. */
  paused: z.object({ since: z.number(), until: z.number().nullable() }).nullable(),
  agentVersion: z.string(),
  /** What the node offers jobs (memory in GiB, one decimal; absent from older heads). */
  capacity: NodeRoomSchema.optional(),
  /** What is left of it beside the runs it holds (0 everywhere while a job has the whole node). */
  free: NodeRoomSchema.optional(),
  /** Every run the node holds that the caller may see (several when requests let jobs share it). */
  runs: z.array(NodeRunSchema).optional(),
  /** The first of `runs`, for clients that show one job per node. */
  current: NodeRunSchema.nullable(),
});
export type NodeView = z.infer<typeof NodeViewSchema>;

/** The head's archive disk: `low` (below the minimum: no new jobs) or `full` (a write failed for lack of space). */
export const ArchiveDiskSchema = z.object({
  state: z.enum(['ok', 'low', 'full']),
  freeBytes: z.number().nullable(),
  totalBytes: z.number().nullable(),
  minFreeBytes: z.number(),
  /** Why no new job is assigned (null when state is ok). */
  reason: z.string().nullable(),
  checkedAt: z.number(),
  /** Finished results refused for lack of space lately, waiting on their nodes (absent from older heads). */
  waiting: z.array(z.object({ job: z.string(), since: z.number() })).optional(),
});
export type ArchiveDisk = z.infer<typeof ArchiveDiskSchema>;

/** `GET /api/status`. `disk` is archive bytes per namespace; `archive` the disk they are on (absent from older heads). */
export const StatusSchema = z.object({
  now: z.number(),
  batches: z.array(BatchViewSchema),
  running: z.array(RunningJobSchema),
  nodes: z.array(NodeViewSchema),
  disk: z.record(z.string(), z.number()),
  archive: ArchiveDiskSchema.optional(),
});
export type Status = z.infer<typeof StatusSchema>;

/** `GET /api/nodes`. */
export const NodesSchema = z.object({ nodes: z.array(NodeViewSchema), archive: ArchiveDiskSchema.optional() });
export type Nodes = z.infer<typeof NodesSchema>;

/** `POST /api/nodes/:name/pause` body: a duration like `1h`, or `until-resumed` (default). */
export const NodePauseRequestSchema = z.object({ duration: z.string().optional() });
export type NodePauseRequest = z.infer<typeof NodePauseRequestSchema>;
export const NodePausedSchema = z.object({ node: z.string(), pausedUntil: z.number().nullable() });
export type NodePaused = z.infer<typeof NodePausedSchema>;
export const NodeResumedSchema = z.object({ node: z.string() });
export type NodeResumed = z.infer<typeof NodeResumedSchema>;

/** `DELETE /api/nodes/:name` answer (admin): the node is forgotten, disconnected if it was connected. */
export const RemovedNodeSchema = z.object({ node: z.string(), wasConnected: z.boolean() });
export type RemovedNode = z.infer<typeof RemovedNodeSchema>;
/** `POST /api/enrollment-token/rotate` answer (admin): the new enrollment token. */
export const RotatedEnrollmentSchema = z.object({ token: z.string() });
export type RotatedEnrollment = z.infer<typeof RotatedEnrollmentSchema>;

/** `POST /api/users` body and answer (the token is shown once). */
export const CreateUserRequestSchema = z.object({ name: z.string(), admin: z.boolean().optional() });
export type CreateUserRequest = z.infer<typeof CreateUserRequestSchema>;
export const CreatedUserSchema = z.object({ name: z.string(), token: z.string(), admin: z.boolean() });
export type CreatedUser = z.infer<typeof CreatedUserSchema>;
/** `GET /api/users`. */
export const UsersSchema = z.object({ users: z.array(z.object({ name: z.string(), admin: z.boolean(), createdAt: z.number() })) });
export type Users = z.infer<typeof UsersSchema>;

/** Whether one known node can run a batch, and why not. */
export const NodeFitSchema = z.object({ node: z.string(), connected: z.boolean(), ok: z.boolean(), reasons: z.array(z.string()) });
export type NodeFit = z.infer<typeof NodeFitSchema>;

/** `POST /api/batches` body: the spec, `replace` an existing batch of that name, `force` past "no node can run it". */
export const CreateBatchRequestSchema = z.object({ spec: z.unknown(), replace: z.boolean().optional(), force: z.boolean().optional() });
export type CreateBatchRequest = z.infer<typeof CreateBatchRequestSchema>;
/** `POST /api/batches` answer: upload the `missing` inputs, then submit `id`. */
export const CreatedBatchSchema = z.object({
  id: z.string(), missing: z.array(z.string()), replaced: z.string().nullable(), nodes: z.array(NodeFitSchema),
});
export type CreatedBatch = z.infer<typeof CreatedBatchSchema>;
/** The 422 answer of `POST /api/batches` when no node can run the batch. */
export const CreateBatchRefusalSchema = ErrorBodySchema.extend({ nodes: z.array(NodeFitSchema) });
export type CreateBatchRefusal = z.infer<typeof CreateBatchRefusalSchema>;

/** `PUT /api/inputs/:sha` answer: stored now (with its size) or already there. */
export const StoredInputSchema = z.union([
  z.object({ sha256: z.string(), size: z.number().int() }),
  z.object({ sha256: z.string(), stored: z.literal('already') }),
]);
export type StoredInput = z.infer<typeof StoredInputSchema>;

/** `PUT /api/agent/results/...` answer. */
export const StoredResultFileSchema = z.object({ path: z.string(), size: z.number().int() });
export type StoredResultFile = z.infer<typeof StoredResultFileSchema>;

/** `POST /api/batches/:ref/kill` answer: the batch, jobs cancelled while queued, running jobs being stopped. */
export const KilledBatchSchema = BatchViewSchema.extend({ cancelled: z.number().int(), killing: z.number().int() });
export type KilledBatch = z.infer<typeof KilledBatchSchema>;

/** `POST /api/batches/:ref/retry` body: only failed jobs (not cancelled ones), only these jobs. */
export const RetryRequestSchema = z.object({ failedOnly: z.boolean().optional(), jobs: z.array(z.string()).optional() });
export type RetryRequest = z.infer<typeof RetryRequestSchema>;
/** `POST /api/batches/:ref/retry` answer: the batch and the jobs re-queued. */
export const RetriedBatchSchema = BatchViewSchema.extend({ retried: z.array(z.string()) });
export type RetriedBatch = z.infer<typeof RetriedBatchSchema>;
/** An input the head deleted when the batch ended and a retry needs again. */
export const MissingInputSchema = z.object({ sha256: z.string(), alias: z.string() });
export type MissingInput = z.infer<typeof MissingInputSchema>;
/** The 409 answer of a retry whose inputs are gone: upload `missing`, then ask again. */
export const RetryRefusalSchema = ErrorBodySchema.extend({ missing: z.array(MissingInputSchema) });
export type RetryRefusal = z.infer<typeof RetryRefusalSchema>;

/** `DELETE /api/batches/:ref/archive` answer. */
export const RemovedBatchSchema = z.object({ removed: z.string(), id: z.string() });
export type RemovedBatch = z.infer<typeof RemovedBatchSchema>;

// A manifest names the folders and files `pull` and `sync` create on the user's disk, so the client
// trusts none of it (a compromised or impostor head, a man in the middle without TLS): namespace,
// batch and job must each be one safe path segment, every path a safe relative path, sizes whole
// numbers and digests real sha256s.
const relPath = z.string().superRefine((value, ctx) => {
  const checked = checkRelativePath(value);
  if (!checked.ok) ctx.addIssue({ code: 'custom', message: checked.error });
});

/** One archived file of a finished job, as a pull syncs against it. */
export const ManifestFileSchema = z.object({
  job: safeName,
  path: relPath,
  size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  sha256: z.string().regex(SHA256_PATTERN, 'expected a sha256 hex digest'),
});
export type ManifestFile = z.infer<typeof ManifestFileSchema>;
/** `GET /api/batches/:ref/manifest`: every archived file of the finished jobs; `pending` jobs are not done yet. */
export const ManifestSchema = z.object({
  id: z.string().min(1).max(200), namespace: safeName, batch: safeName, files: z.array(ManifestFileSchema), pending: z.array(safeName),
});
export type Manifest = z.infer<typeof ManifestSchema>;

/** Most files one file-stream request may ask for (its JSON body is also bounded, to 64 KiB). */
export const MAX_STREAM_FILES = 5000;
/** `POST /api/batches/:ref/file-stream` body: archived files, answered as one file stream in this order. */
export const FileStreamRequestSchema = z.object({
  files: z.array(z.object({ job: safeName, path: relPath })).min(1).max(MAX_STREAM_FILES),
});
export type FileStreamRequest = z.infer<typeof FileStreamRequestSchema>;

/** `POST /api/agent/runs/:runId/result-stream` answer: every file stored in the run's staging. */
export const StoredResultFilesSchema = z.object({ files: z.array(StoredResultFileSchema) });
export type StoredResultFiles = z.infer<typeof StoredResultFilesSchema>;

/** `GET /api/batches/:ref/jobs/:job/logs` query: one stream only, start `tail` lines back, follow a running job. */
export interface LogsQuery { stream?: 'stdout' | 'stderr'; follow?: boolean; tail?: number }
