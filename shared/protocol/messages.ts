/**
 * Every WebSocket message between agent and head. Both sides import this module; nothing else
 * defines wire shapes. Files (inputs, results) travel over HTTP, see shared/api/routes.ts.
 *
 * Flow: agent connects to {@link AGENT_WS_PATH} with its node credential (or, the first time, the
 * enrollment token) → sends `hello` (name, capabilities, runs it still holds) → head answers
 * `welcome` (carrying the new node credential after an enrollment) → head records the run durably
 * and sends `assign` (run id + run key) → agent downloads inputs, builds once per batch, sends
 * `job-started`, streams `job-log`, sends `job-exited` when the job's processes end (the node may
 * take its next job now), uploads results over HTTP into the run's staging (with the run
 * key), sends `job-finished` → head verifies and archives, answers `result-ack`. Small results
 * (a trivial job's logs) travel inside `job-finished` instead ({@link InlineFileSchema}): no HTTP
 * request and no `job-exited` for them. Heartbeats both ways.
 *
 * Every message about a run names it by `runId` only (see shared/job/run-id.ts). The head accepts
 * it only from the connection holding that run's lease; see docs/fault-tolerance.md.
 */
import { z } from 'zod';
import { JobResultSchema } from '../job/result.ts';
import { CapabilitiesSchema } from './capabilities.ts';
import { SHA256_PATTERN } from '../api/routes.ts';
import { RUN_ID_PATTERN } from '../job/run-id.ts';
import { BatchSpecSchema, JobSpecSchema } from '../batch/spec.ts';
import { safeLabel, safeName } from '../name-schemas.ts';

/** Bumped on any incompatible change; head and agent must agree exactly. 2: runs named by run id. */
export const PROTOCOL_VERSION = 2;

/** WebSocket close codes the head uses, by name. */
export const CloseCode = {
  normal: 1000,
  unauthorized: 4001,
  versionMismatch: 4002,
  badMessage: 4003,
  /** Another connection took over this node name. */
  replaced: 4004,
  shuttingDown: 4005,
  /** The node was silent past the heartbeat timeout. */
  timedOut: 4006,
  /** The enrollment token was presented for a node name that is already enrolled. */
  nameTaken: 4007,
  /** The admin removed this node (`distribute nodes rm`): its credential is revoked. */
  revoked: 4008,
  /** The node sent more messages than the per-node rate limit allows. */
  rateLimited: 4009,
} as const;
export type CloseCodeName = keyof typeof CloseCode;

export function closeCodeName(code: number): string {
  for (const [name, value] of Object.entries(CloseCode)) if (value === code) return name;
  return String(code);
}

/** A run id as it travels (see shared/job/run-id.ts). */
export const RunIdSchema = z.string().regex(RUN_ID_PATTERN, 'not a run id');

/** How every message about one run names it. */
const RunRef = { runId: RunIdSchema };

export { JobResultSchema };

/** One archived file of a job: path relative to the job's archive folder. */
export const ResultFileSchema = z.object({
  path: z.string(),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(SHA256_PATTERN),
});
export type ResultFile = z.infer<typeof ResultFileSchema>;

/**
 * Most bytes of result files one `job-finished` may carry inline (before base64), the default a
 * head announces in `welcome` (`inlineResults`). A trivial job's logs and small results then cost
 * no HTTP request; anything larger is uploaded as before.
 */
export const INLINE_RESULT_BYTES = 256 * 1024;

/**
 * A result file sent inside `job-finished`: its archive path and its bytes in base64. It must also
 * be on the report's `files` list, whose size and sha256 the head checks the bytes against.
 */
export const InlineFileSchema = z.object({
  path: z.string().max(4096),
  data: z.string().max(Math.ceil(INLINE_RESULT_BYTES / 3) * 4),
});
export type InlineFile = z.infer<typeof InlineFileSchema>;

/**
 * A run the agent still holds when it (re)connects. `runKey` proves it holds the run (absent only
 * for a run started under version 0.1, whose lease the head grants by node name).
 */
export const HeldJobSchema = z.object({
  ...RunRef,
  runKey: z.string().min(1).max(200).optional(),
  state: z.enum(['running', 'paused', 'finished']),
  pausedUntil: z.number().nullable().optional(),
});
export type HeldJob = z.infer<typeof HeldJobSchema>;

// ---- agent → head ----------------------------------------------------------------------------

export const HelloSchema = z.object({
  type: z.literal('hello'),
  protocol: z.number().int(),
  agentVersion: z.string(),
  /** Node name: a safe label and folder name (see shared/names.ts). */
  name: safeName,
  capabilities: CapabilitiesSchema,
  held: z.array(HeldJobSchema),
  /** Batch ids whose build step already succeeded on this node. */
  built: z.array(z.string()),
  /** User who owns this workstation (may pause it through the head). */
  owner: safeLabel.optional(),
  /**
   * The agent keeps an `assign` marked `ahead` until it has room, instead of refusing it as busy
   * (absent from older agents: the head never sends them a job ahead).
   */
  takesAhead: z.boolean().optional(),
});

export const AgentMessageSchema = z.discriminatedUnion('type', [
  HelloSchema,
  z.object({ type: z.literal('heartbeat'), at: z.number() }),
  z.object({ type: z.literal('job-started'), ...RunRef }),
  z.object({ type: z.literal('job-log'), ...RunRef, stream: z.enum(['stdout', 'stderr']), data: z.string() }),
  z.object({ type: z.literal('job-paused'), ...RunRef, until: z.number().nullable() }),
  z.object({ type: z.literal('job-resumed'), ...RunRef }),
  /**
   * The run's processes ended; its results are still to be uploaded and reported (job-finished).
   * Sent only to a head that asked for it in `welcome` (`exitReports`): the run's share of the
   * node is free for the next job from now on. `bytes`: the size of the results to upload.
   */
  z.object({ type: z.literal('job-exited'), ...RunRef, bytes: z.number().int().nonnegative() }),
  z.object({ type: z.literal('node-paused'), until: z.number().nullable() }),
  z.object({ type: z.literal('node-resumed') }),
  /** Sent after every result file was uploaded. */
  z.object({
    type: z.literal('job-finished'),
    ...RunRef,
    result: JobResultSchema,
    startedAt: z.number(),
    endedAt: z.number(),
    runMs: z.number().nonnegative(),
    /** Every uploaded result file (paths relative to the job's archive folder). */
    files: z.array(ResultFileSchema),
    /** Files of `distribute_save/` that were not archived, each with the reason (escaped). */
    skipped: z.array(z.string().max(1000)).max(1000).optional(),
    /**
     * Files of `files` sent here rather than uploaded (only to a head whose welcome carried
     * `inlineResults`, at most that many bytes in all); the others are in the run's staging.
     */
    inline: z.array(InlineFileSchema).max(1000).optional(),
  }),
  /**
   * The agent could not take the job (busy, inputs missing); the head re-queues it. `unstarted`:
   * a job in hand given back before it began (the node paused, the agent stops); the head does not
   * count it against the job when it still knows the run as in hand.
   */
  z.object({ type: z.literal('job-rejected'), ...RunRef, reason: z.string(), unstarted: z.boolean().optional() }),
  z.object({ type: z.literal('build-failed'), batchId: z.string(), log: z.string() }),
  /** The agent is stopping on purpose: offer it nothing more (it hands back or keeps its job). */
  z.object({ type: z.literal('leaving') }),
  z.object({ type: z.literal('build-succeeded'), batchId: z.string() }),
]);
export type AgentMessage = z.infer<typeof AgentMessageSchema>;
export type Hello = z.infer<typeof HelloSchema>;

// ---- head → agent ----------------------------------------------------------------------------

/** The batch as an agent needs it: the spec without the other jobs, plus its owner. */
export const BatchHeaderSchema = BatchSpecSchema.omit({ jobs: true }).extend({
  id: z.string(),
  owner: z.string(),
});
export type BatchHeader = z.infer<typeof BatchHeaderSchema>;

export const HeadMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('welcome'), nodeId: z.string(), heartbeatMs: z.number(), timeoutMs: z.number(), headVersion: z.string(),
    /** Sent once, to an agent that just enrolled with the enrollment token: its node credential. */
    credential: z.string().optional(),
    /**
     * The head takes `job-exited` (a run's share is freed when its processes end, before its
     * results are uploaded). Absent from older heads: the agent does not send it to them.
     */
    exitReports: z.boolean().optional(),
    /**
     * The head takes result files inline in `job-finished`, up to this many bytes per report.
     * Absent from older heads: the agent uploads every file to them.
     */
    inlineResults: z.number().int().nonnegative().optional(),
  }),
  z.object({ type: z.literal('heartbeat'), at: z.number() }),
  /**
   * A new run. `runKey` is the run's secret: sent once, here, and shown by the agent when it
   * uploads results (header {@link RUN_KEY_HEADER}) or claims the run in a later hello.
   */
  z.object({
    type: z.literal('assign'), ...RunRef, runKey: z.string().min(1),
    batchId: z.string(), job: z.string(), attempt: z.number().int().positive(), batch: BatchHeaderSchema, spec: JobSpecSchema,
    /**
     * A job in hand: the node has no room for it yet, and starts it the moment a running job's
     * processes end (no round trip to the head between two short jobs). Sent only to agents that
     * said `takesAhead`, at most one per node; see docs/scheduling.md.
     */
    ahead: z.boolean().optional(),
  }),
  z.object({ type: z.literal('cancel'), ...RunRef, reason: z.string() }),
  /**
   * Reply to job-finished. archived: stored (or already stored by this same run); discarded:
   * another run won, the job was cancelled, or this connection does not hold the run;
   * missing-files: these are absent or differ from the reported list: upload them again, then resend.
   */
  z.object({
    type: z.literal('result-ack'), ...RunRef,
    status: z.enum(['archived', 'discarded', 'missing-files']),
    missing: z.array(z.string()).optional(),
  }),
  z.object({ type: z.literal('pause'), until: z.number().nullable() }),
  z.object({ type: z.literal('resume') }),
  /** Inputs of a finished batch may be deleted from the node's cache. */
  z.object({ type: z.literal('forget-batch'), batchId: z.string() }),
]);
export type HeadMessage = z.infer<typeof HeadMessageSchema>;

export type DecodeResult<T> = { ok: true; message: T } | { ok: false; error: string };

/** Largest WebSocket message either side accepts (logs are chunked well below this). */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

function decodeWith<T>(schema: z.ZodType<T>, raw: unknown): DecodeResult<T> {
  // The limit is in bytes: measure before decoding, since one character can take up to 4 bytes.
  let bytes: Buffer | string;
  if (typeof raw === 'string' || Buffer.isBuffer(raw)) bytes = raw;
  else if (Array.isArray(raw) && raw.every((part) => Buffer.isBuffer(part))) bytes = Buffer.concat(raw);
  else if (raw instanceof ArrayBuffer) bytes = Buffer.from(raw);
  else return { ok: false, error: 'message is not text' };
  if (Buffer.byteLength(bytes) > MAX_MESSAGE_BYTES) return { ok: false, error: `message larger than ${MAX_MESSAGE_BYTES} bytes` };
  const text = typeof bytes === 'string' ? bytes : bytes.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, error: `message is not JSON: ${JSON.stringify(text.slice(0, 60))}` };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return { ok: false, error: `invalid message: ${first ? `${first.path.join('.') || '(root)'}: ${first.message}` : 'unknown'}` };
  }
  return { ok: true, message: parsed.data };
}

/** Turn raw socket data from an agent into a typed message or a protocol error. */
export const decodeAgentMessage = (raw: unknown) => decodeWith(AgentMessageSchema, raw);
/** Turn raw socket data from the head into a typed message or a protocol error. */
export const decodeHeadMessage = (raw: unknown) => decodeWith(HeadMessageSchema, raw);

export function encode(message: AgentMessage | HeadMessage): string {
  return JSON.stringify(message);
}
