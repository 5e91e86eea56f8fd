/**
 * The agent's fast decoder of head messages (`decodeFromHead`): a plain-JavaScript check of the
 * three messages a busy node gets for every job (`assign`, `result-ack`, `heartbeat`), in front
 * of the zod decoder
 * (`decodeHeadMessage`), which stays the one definition of the wire format (see fast-check.ts).
 *
 * Why: zod's generic object machinery warms up slowly. An agent spent 4-7 % of its main-thread
 * CPU in it (`perf`, 2,000 trivial jobs), ~90 µs per job for one `assign` and one `result-ack`
 * while the rest of the job's work runs between them; skipping the check altogether saved
 * 0.14 ms of agent CPU per job (A/B, 4 rounds).
 *
 * How it keeps zod's verdicts: this check only ever *accepts*. It takes a message when every field
 * is one it knows and holds a value the schema takes (the same name, label, argument, run id and
 * sha256 rules, called directly), and then returns what zod would (unknown keys of the outer
 * message dropped, `requiredMounts` defaulted). Anything else (another type, an extra key in a
 * strict object, a field it is unsure of, bad JSON, a raw form other than one Buffer) goes to
 * `decodeHeadMessage`, which decides and words the error.
 * test/unit/shared/protocol/fast-head-messages.test.ts compares both on every valid message and
 * thousands of mutated ones.
 */
import { decodeHeadMessage, type HeadMessage } from './messages.ts';
import { SHA256_PATTERN } from '../api/routes.ts';
import { unsafeLabelReason, unsafeNameReason } from '../names.ts';
import { unsafeArgReason } from '../batch/arg-limits.ts';
import { arrayOf, int, isObj, keysIn, num, optional, runId, withFastPath, type Obj } from './fast-check.ts';

const positive = (v: unknown) => num(v) && v > 0;
const nonNegInt = (v: unknown) => int(v) && v >= 0;
const name = (v: unknown) => typeof v === 'string' && unsafeNameReason(v) === null;
const label = (v: unknown) => typeof v === 'string' && unsafeLabelReason(v) === null;
const arg = (v: unknown) => typeof v === 'string' && unsafeArgReason(v) === null;

const INPUT_FILE_KEYS = new Set(['alias', 'sha256', 'size']);
const inputFile = (v: unknown) => isObj(v) && keysIn(v, INPUT_FILE_KEYS) && name(v.alias)
  && typeof v.sha256 === 'string' && SHA256_PATTERN.test(v.sha256) && nonNegInt(v.size);

const RESOURCES_KEYS = new Set(['cpus', 'memory_gb', 'gpus', 'gpu_memory_gb']);
const resources = (v: unknown) => isObj(v) && keysIn(v, RESOURCES_KEYS) && optional(v.cpus, positive)
  && optional(v.memory_gb, positive) && optional(v.gpus, nonNegInt) && optional(v.gpu_memory_gb, positive);

const REQUEST_KEYS = new Set(['cpus', 'memory_gb', 'gpus']);
const request = (v: unknown) => isObj(v) && keysIn(v, REQUEST_KEYS) && optional(v.cpus, (c) => int(c) && c > 0)
  && optional(v.memory_gb, positive) && optional(v.gpus, nonNegInt);

const KINDS = new Set(['python', 'apptainer', 'shell']);
const SHARES = new Set(['private', 'lab']);
const BATCH_KEYS = new Set(['namespace', 'name', 'matrix', 'kind', 'capabilities', 'resources', 'request', 'maxRetries', 'share',
  'buildFile', 'buildCommand', 'sif', 'requiredMounts', 'initFiles', 'id', 'owner']);
/** BatchHeaderSchema (strict). */
const batchHeader = (v: unknown): v is Obj => isObj(v) && keysIn(v, BATCH_KEYS) && name(v.namespace) && name(v.name)
  && optional(v.matrix, arg) && typeof v.kind === 'string' && KINDS.has(v.kind) && arrayOf(v.capabilities, label)
  && resources(v.resources) && optional(v.request, request) && int(v.maxRetries) && v.maxRetries >= 0 && v.maxRetries <= 100
  && optional(v.share, (s) => typeof s === 'string' && SHARES.has(s)) && optional(v.buildFile, inputFile)
  && optional(v.buildCommand, arg) && optional(v.sif, inputFile) && optional(v.requiredMounts, (m) => arrayOf(m, arg))
  && arrayOf(v.initFiles, inputFile) && typeof v.id === 'string' && typeof v.owner === 'string';

const SPEC_KEYS = new Set(['name', 'script', 'command', 'files', 'request']);
/** JobSpecSchema (strict). */
const jobSpec = (v: unknown) => isObj(v) && keysIn(v, SPEC_KEYS) && name(v.name) && optional(v.script, inputFile)
  && optional(v.command, arg) && arrayOf(v.files, inputFile) && optional(v.request, request);

const ACK_STATUSES = new Set(['archived', 'discarded', 'missing-files']);

/** The message zod would return for `m`, or null when this check is not sure (zod decides). */
export function fastHeadMessage(m: unknown): HeadMessage | null {
  if (!isObj(m)) return null;
  switch (m.type) {
    case 'heartbeat':
      return num(m.at) ? { type: 'heartbeat', at: m.at } : null;
    case 'result-ack': {
      if (!runId(m.runId) || typeof m.status !== 'string' || !ACK_STATUSES.has(m.status)) return null;
      if (!optional(m.missing, (x) => arrayOf(x, (p) => typeof p === 'string'))) return null;
      const status = m.status as 'archived' | 'discarded' | 'missing-files';
      return m.missing === undefined ? { type: 'result-ack', runId: m.runId, status } : { type: 'result-ack', runId: m.runId, status, missing: m.missing as string[] };
    }
    case 'assign': {
      const { batch } = m;
      if (!runId(m.runId) || typeof m.runKey !== 'string' || m.runKey.length < 1 || typeof m.batchId !== 'string' || typeof m.job !== 'string'
        || !int(m.attempt) || m.attempt < 1 || !batchHeader(batch) || !jobSpec(m.spec) || !optional(m.ahead, (a) => typeof a === 'boolean')) return null;
      const header = (batch.requiredMounts === undefined ? { ...batch, requiredMounts: [] } : batch) as Extract<HeadMessage, { type: 'assign' }>['batch'];
      const spec = m.spec as Extract<HeadMessage, { type: 'assign' }>['spec'];
      return {
        type: 'assign', runId: m.runId, runKey: m.runKey, batchId: m.batchId, job: m.job, attempt: m.attempt, batch: header, spec,
        ...(m.ahead === undefined ? {} : { ahead: m.ahead as boolean }),
      };
    }
    default:
      return null;
  }
}

/**
 * Raw socket data from the head as a typed message or a protocol error, with the verdicts of
 * `decodeHeadMessage`: the hot messages through {@link fastHeadMessage}, everything else through zod.
 */
export const decodeFromHead = withFastPath(fastHeadMessage, decodeHeadMessage);
