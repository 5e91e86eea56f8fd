/**
 * The differential checks of the fast decoders (test/unit/shared/protocol/fast-*-messages.test.ts)
 * against the zod decoders they stand in front of: mutations of messages, and the assertion that
 * both give the same verdict.
 */
import assert from 'node:assert/strict';
import type { DecodeResult } from '../../shared/protocol/index.ts';

/** One side's decoders: the fast check alone, the decoder with the fast path, and zod's. */
export interface Decoders<M> {
  fast: (json: unknown) => M | null;
  decode: (raw: unknown) => DecodeResult<M>;
  zod: (raw: unknown) => DecodeResult<M>;
}

/**
 * `message` (JSON-encoded) gets the same verdict from the decoder with the fast path as from zod,
 * and when the fast check accepts it, it returns zod's output.
 */
export function assertSameVerdict<M>(d: Decoders<M>, message: unknown): void {
  const raw = Buffer.from(JSON.stringify(message) ?? 'null');
  const zod = d.zod(raw);
  assert.deepStrictEqual(d.decode(raw), zod, raw.toString());
  const fast = d.fast(JSON.parse(raw.toString()));
  if (fast) assert.deepStrictEqual({ ok: true, message: fast }, zod, `fast accepted ${raw.toString()}`);
}

/**
 * Every mutation of `value`: each field (at every depth) removed, replaced by each of `odd`, and
 * an unknown key, a `constructor` key and a JSON `__proto__` key added to each object.
 */
export function* mutations(value: unknown, odd: readonly unknown[]): Generator<unknown> {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      for (const m of mutations(value[i], odd)) yield value.map((v, j) => (j === i ? m : v));
      yield value.filter((_, j) => j !== i);
    }
    for (const o of odd) yield [...value, o];
    return;
  }
  if (typeof value !== 'object' || value === null) {
    yield* odd;
    return;
  }
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    const { [key]: _, ...without } = obj;
    yield without;
    for (const m of mutations(obj[key], odd)) yield { ...obj, [key]: m };
  }
  yield { ...obj, unknownKey: 1 };
  yield { ...obj, constructor: 'x' };
  const rest = JSON.stringify(obj).slice(1);
  yield JSON.parse(`{"__proto__": {"polluted": 1}${rest === '}' ? '' : ','} ${rest}`) as unknown;
}
