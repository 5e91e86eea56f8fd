/**
 * The head's fast decoder of agent messages (`decodeFromAgent`): a plain-JavaScript check of the
 * three messages every node sends for every job or every few seconds (`job-started`,
 * `job-finished`, `heartbeat`), in front of the zod decoder (`decodeAgentMessage`), which stays
 * the one definition of the wire format (see fast-check.ts).
 *
 * Why: zod's generic object machinery is slow to warm up and stays a few microseconds per message
 * when warm: `decodeAgentMessage` was 4 % of a fresh head's CPU with two real agents running
 * trivial jobs (`perf`, 2,000 jobs), and 5 % of a warm head's at scheduler scale (docs/benchmarks.md).
 *
 * How it keeps zod's verdicts: this check only ever *accepts*. It takes a message when every field
 * is one it knows (no unknown key at any depth: zod would drop it, and this check does not try)
 * and holds a value the schema takes, and then returns what zod would; for anything else (another
 * type, a field it is unsure of, bad JSON, a raw form other than one Buffer) zod decides and words
 * the error. test/unit/shared/protocol/fast-agent-messages.test.ts compares both on every valid
 * message and on thousands of mutated ones.
 */
import { decodeAgentMessage, INLINE_RESULT_BYTES, type AgentMessage } from './messages.ts';
import { SHA256_PATTERN } from '../api/routes.ts';
import type { JobResult } from '../job/state.ts';
import { arrayOf, int, isObj, keysIn, num, runId, str, withFastPath, type Obj } from './fast-check.ts';

type Finished = Extract<AgentMessage, { type: 'job-finished' }>;

const RESULT_KEYS: Record<string, { key: string; check: (v: unknown) => boolean }> = {
  succeeded: { key: 'exitCode', check: (v) => v === 0 },
  failed: { key: 'exitCode', check: int },
  killed: { key: 'signal', check: str },
  'spawn-failed': { key: 'message', check: str },
  cancelled: { key: 'by', check: str },
  'build-failed': { key: 'message', check: str },
  rejected: { key: 'message', check: str },
};
/** JobResultSchema: the outcome and its one field, nothing else. */
function result(v: unknown): JobResult | null {
  if (!isObj(v) || !str(v.outcome) || !Object.hasOwn(RESULT_KEYS, v.outcome)) return null;
  const { key, check } = RESULT_KEYS[v.outcome];
  const keys = Object.keys(v);
  if (keys.length !== 2 || !check(v[key]) || !(keys[0] === key || keys[1] === key)) return null;
  return { outcome: v.outcome, [key]: v[key] } as JobResult;
}

const FILE_KEYS = new Set(['path', 'size', 'sha256']);
/** ResultFileSchema. */
const file = (v: unknown) => isObj(v) && keysIn(v, FILE_KEYS) && str(v.path) && int(v.size) && v.size >= 0
  && str(v.sha256) && SHA256_PATTERN.test(v.sha256);

const INLINE_KEYS = new Set(['path', 'data']);
const INLINE_DATA_MAX = Math.ceil(INLINE_RESULT_BYTES / 3) * 4;
/** InlineFileSchema. */
const inlineFile = (v: unknown) => isObj(v) && keysIn(v, INLINE_KEYS) && str(v.path) && v.path.length <= 4096
  && str(v.data) && v.data.length <= INLINE_DATA_MAX;

const FINISHED_KEYS = new Set(['type', 'runId', 'result', 'startedAt', 'endedAt', 'runMs', 'files', 'skipped', 'inline']);
/** The job-finished message zod would return for `m`, or null. */
function finished(m: Obj): Finished | null {
  if (!keysIn(m, FINISHED_KEYS) || !runId(m.runId) || !num(m.startedAt) || !num(m.endedAt) || !num(m.runMs) || m.runMs < 0) return null;
  const res = result(m.result);
  if (!res || !arrayOf(m.files, file)) return null;
  if (m.skipped !== undefined && !arrayOf(m.skipped, (s) => str(s) && s.length <= 1000, 1000)) return null;
  if (m.inline !== undefined && !arrayOf(m.inline, inlineFile, 1000)) return null;
  const out: Finished = {
    type: 'job-finished', runId: m.runId, result: res, startedAt: m.startedAt, endedAt: m.endedAt, runMs: m.runMs,
    files: (m.files as Obj[]).map((f) => ({ path: f.path as string, size: f.size as number, sha256: f.sha256 as string })),
  };
  if (m.skipped !== undefined) out.skipped = [...m.skipped as string[]];
  if (m.inline !== undefined) out.inline = (m.inline as Obj[]).map((f) => ({ path: f.path as string, data: f.data as string }));
  return out;
}

const STARTED_KEYS = new Set(['type', 'runId']);
const HEARTBEAT_KEYS = new Set(['type', 'at']);

/** The message zod would return for `m`, or null when this check is not sure (zod decides). */
export function fastAgentMessage(m: unknown): AgentMessage | null {
  if (!isObj(m)) return null;
  switch (m.type) {
    case 'job-started':
      return keysIn(m, STARTED_KEYS) && runId(m.runId) ? { type: 'job-started', runId: m.runId } : null;
    case 'job-finished':
      return finished(m);
    case 'heartbeat':
      return keysIn(m, HEARTBEAT_KEYS) && num(m.at) ? { type: 'heartbeat', at: m.at } : null;
    default:
      return null;
  }
}

/**
 * Raw socket data from an agent as a typed message or a protocol error, with the verdicts of
 * `decodeAgentMessage`: the hot messages through {@link fastAgentMessage}, everything else through zod.
 */
export const decodeFromAgent = withFastPath(fastAgentMessage, decodeAgentMessage);
