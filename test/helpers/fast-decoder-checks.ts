/**
 * The differential checks of the fast decoders (test/unit/shared/protocol/fast-*-messages.test.ts)
 * against the zod decoders they stand in front of: mutations of messages, and the assertion that
 * both give the same verdict.
 */
import assert from 'node:assert/strict';
import { encode, MAX_MESSAGE_BYTES, type DecodeResult } from '../../shared/protocol/index.ts';

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

/**
 * Every mutation (with `odd` values) of every message of `valid` gets zod's verdict; returns how
 * many there were and how many the fast check accepted (odd but allowed values still take it).
 */
export function assertMutationsAgree<M>(d: Decoders<M>, valid: readonly unknown[], odd: readonly unknown[]): { count: number; accepted: number } {
  let count = 0;
  let accepted = 0;
  for (const message of valid) {
    for (const m of mutations(message, odd)) {
      assertSameVerdict(d, m);
      count++;
      if (d.fast(m)) accepted++;
    }
  }
  return { count, accepted };
}

/**
 * The messages `others` are not the fast check's: it declines them and the decoder gives zod's
 * answer. Raw forms other than one Buffer (`sample` as text, in pieces, as an ArrayBuffer, junk)
 * and garbage (bad JSON, wrong shapes of the message `type`, an oversized message) get zod's verdict.
 */
export function assertOthersGoToZod<M>(d: Decoders<M>, others: readonly M[], sample: unknown, type: string): void {
  for (const m of others) {
    assert.equal(d.fast(m), null);
    assert.deepStrictEqual(d.decode(Buffer.from(encode(m as Parameters<typeof encode>[0]))), { ok: true, message: m });
  }
  const text = JSON.stringify(sample);
  const buf = Buffer.from(text);
  for (const raw of [text, [buf.subarray(0, 9), buf.subarray(9)], buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length), 42, [buf, 7]]) {
    assert.deepStrictEqual(d.decode(raw), d.zod(raw));
  }
  for (const garbage of ['', '{', 'null', '[]', JSON.stringify(type), JSON.stringify({ type }), 'y'.repeat(MAX_MESSAGE_BYTES + 1)]) {
    const raw = Buffer.from(garbage);
    const verdict = d.decode(raw);
    assert.equal(verdict.ok, false);
    assert.deepStrictEqual(verdict, d.zod(raw));
  }
}
