/**
 * What the two fast decoders (fast-head-messages.ts for the agent, fast-agent-messages.ts for the
 * head) share: plain-JavaScript checks with zod's meaning, and the wrapper that puts such a check
 * in front of the zod decoder of messages.ts, which stays the one definition of the wire format.
 *
 * Why a fast path at all: zod's generic object machinery warms up slowly and stays a few
 * microseconds per message when warm; each side decodes two or three messages per job
 * (docs/benchmarks.md, issue 10). Why it cannot change a verdict: a fast check only ever
 * *accepts*, with exactly zod's output; for anything it is not sure of (another message type, a
 * field it does not know, bad JSON, a raw form other than one Buffer, an oversized message) the
 * zod decoder decides and words the error. test/unit/shared/protocol/fast-*-messages.test.ts
 * compare both on every valid message and thousands of mutated ones.
 */
import { MAX_MESSAGE_BYTES, type DecodeResult } from './messages.ts';
import { RUN_ID_PATTERN } from '../job/run-id.ts';

export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Every own key of `o` is in `allowed`: a strict zod object (and, to stay on the safe side, the
 * non-strict ones, where zod would drop an unknown key). `Object.keys` also lists a `__proto__`
 * key, which JSON.parse makes an own property.
 */
export function keysIn(o: Obj, allowed: ReadonlySet<string>): boolean {
  for (const k of Object.keys(o)) if (!allowed.has(k)) return false;
  return true;
}

/** z.number(): finite (JSON.parse turns `1e400` into Infinity, which zod refuses). */
export const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
/** z.number().int(): zod's integers are the safe ones. */
export const int = (v: unknown): v is number => Number.isSafeInteger(v);
export const str = (v: unknown): v is string => typeof v === 'string';
export const runId = (v: unknown): v is string => str(v) && RUN_ID_PATTERN.test(v);
/** An array whose every item passes `check`, with at most `max` items (zod's `.max()`). */
export const arrayOf = (v: unknown, check: (v: unknown) => boolean, max = Infinity): v is unknown[] => Array.isArray(v) && v.length <= max && v.every(check);
/** An optional field: absent, or passing `check`. */
export const optional = (v: unknown, check: (v: unknown) => boolean) => v === undefined || check(v);

/**
 * A decoder of raw socket data with `decode`'s verdicts: the messages `fast` is sure of through
 * it, everything else through `decode` (zod).
 */
export function withFastPath<M>(fast: (json: unknown) => M | null, decode: (raw: unknown) => DecodeResult<M>): (raw: unknown) => DecodeResult<M> {
  return (raw) => {
    if (!Buffer.isBuffer(raw) || raw.length > MAX_MESSAGE_BYTES) return decode(raw);
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      return decode(raw);
    }
    const message = fast(json);
    return message ? { ok: true, message } : decode(raw);
  };
}
