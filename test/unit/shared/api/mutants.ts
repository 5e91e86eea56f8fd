/** One-field corruptions of a valid answer, for tests that compare a checker with its zod schema. */

/** Every path to a value inside `v` (objects and arrays included). */
export function paths(v: unknown, at: (string | number)[] = []): (string | number)[][] {
  const out = [at];
  if (Array.isArray(v)) v.forEach((item, i) => out.push(...paths(item, [...at, i])));
  else if (v && typeof v === 'object') for (const [k, item] of Object.entries(v)) out.push(...paths(item, [...at, k]));
  return out;
}

/** `v` with the value at `at` replaced (`undefined`: removed). */
export function replaced(v: unknown, at: (string | number)[], value: unknown): unknown {
  if (at.length === 0) return value;
  const [head, ...rest] = at;
  if (Array.isArray(v)) return v.map((item, i) => (i === head ? replaced(item, rest, value) : item));
  const copy: Record<string, unknown> = { ...(v as Record<string, unknown>) };
  if (rest.length === 0 && value === undefined) delete copy[head];
  else copy[head] = replaced(copy[head], rest, value);
  return copy;
}

export const WRONG: unknown[] = [undefined, null, 'x', '', 0, -1, 1.5, 2 ** 60, true, {}, [], ['x'], { extra: 1 }, 'queued', 'done', 'failed', 'shell', 'busy'];
