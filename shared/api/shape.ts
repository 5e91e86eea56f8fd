/**
 * A JSON answer's expected shape as plain data, and the check of an answer against it: the same
 * verdict and the same output as the zod schema it was generated from (./shape-of.ts,
 * ./answer-shapes.ts), without loading zod. `distribute status` starts in a fraction of the time
 * zod and the schemas it builds at import would take (bench/startup.ts), and still trusts nothing
 * the head sends: every field is checked, unknown keys are dropped as zod drops them.
 */

/** One node of a shape; the subset of zod the answers use. */
export type ShapeNode =
  | { t: 'string'; min?: number; max?: number; pattern?: string }
  | { t: 'number'; int?: true; min?: number; minExclusive?: true; max?: number; maxExclusive?: true }
  | { t: 'boolean' }
  | { t: 'null' }
  | { t: 'unknown' }
  | { t: 'literal'; values: readonly (string | number | boolean | null)[] }
  | { t: 'enum'; values: readonly (string | number)[] }
  | { t: 'optional'; of: ShapeNode }
  | { t: 'nullable'; of: ShapeNode }
  | { t: 'array'; of: ShapeNode; min?: number; max?: number }
  | { t: 'record'; key: ShapeNode; value: ShapeNode }
  /** `rest`: 'strip' drops unknown keys (zod's default), 'strict' refuses them. */
  | { t: 'object'; props: Readonly<Record<string, ShapeNode>>; rest: 'strip' | 'strict' }
  /** `disc`: the discriminator key of a discriminated union. */
  | { t: 'union'; of: readonly ShapeNode[]; disc?: string }
  | { t: 'and'; left: ShapeNode; right: ShapeNode };

/** A shape whose checked value has type T (T only ties it to the schema's type). */
export type Shape<T> = ShapeNode & { readonly __value?: T };

/** The first problem found, where (`nodes.0.state`) and what. */
export interface ShapeIssue {
  path: (string | number)[];
  message: string;
}

/** The result type of zod's safeParse, so a shape and a zod schema are interchangeable. */
export type ShapeResult<T> = { success: true; data: T } | { success: false; error: { issues: ShapeIssue[] } };

class Refused extends Error {
  constructor(readonly path: (string | number)[], message: string) {
    super(message);
  }
}

const kindOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string => JSON.stringify(v) ?? String(v);

function fail(path: (string | number)[], message: string): never {
  throw new Refused([...path], message);
}

function expect(ok: boolean, path: (string | number)[], expected: string, value: unknown): void {
  if (!ok) fail(path, `expected ${expected}, received ${kindOf(value)}`);
}

/** `value` checked against `shape`: the output value (unknown keys dropped), or a {@link Refused} thrown. */
function walk(shape: ShapeNode, value: unknown, path: (string | number)[]): unknown {
  switch (shape.t) {
    case 'string':
      expect(typeof value === 'string', path, 'string', value);
      if (shape.min !== undefined && (value as string).length < shape.min) fail(path, `too short: expected at least ${shape.min} characters`);
      if (shape.max !== undefined && (value as string).length > shape.max) fail(path, `too long: expected at most ${shape.max} characters`);
      if (shape.pattern !== undefined && !new RegExp(shape.pattern).test(value as string)) fail(path, `does not match ${shape.pattern}`);
      return value;
    case 'number': {
      expect(typeof value === 'number' && Number.isFinite(value), path, 'number', value);
      const n = value as number;
      if (shape.int && !Number.isSafeInteger(n)) fail(path, `expected an integer, received ${n}`);
      if (shape.min !== undefined && (shape.minExclusive ? n <= shape.min : n < shape.min)) fail(path, `too small: expected ${shape.minExclusive ? '>' : '>='}${shape.min}`);
      if (shape.max !== undefined && (shape.maxExclusive ? n >= shape.max : n > shape.max)) fail(path, `too big: expected ${shape.maxExclusive ? '<' : '<='}${shape.max}`);
      return n;
    }
    case 'boolean':
      expect(typeof value === 'boolean', path, 'boolean', value);
      return value;
    case 'null':
      expect(value === null, path, 'null', value);
      return value;
    case 'unknown':
      return value;
    case 'literal':
    case 'enum':
      if (!(shape.values as readonly unknown[]).includes(value)) fail(path, `expected one of ${shape.values.map(show).join(', ')}, received ${show(value)?.slice(0, 40)}`);
      return value;
    case 'optional':
      return value === undefined ? undefined : walk(shape.of, value, path);
    case 'nullable':
      return value === null ? null : walk(shape.of, value, path);
    case 'array': {
      expect(Array.isArray(value), path, 'array', value);
      const items = value as unknown[];
      if (shape.min !== undefined && items.length < shape.min) fail(path, `too few items: expected at least ${shape.min}`);
      if (shape.max !== undefined && items.length > shape.max) fail(path, `too many items: expected at most ${shape.max}`);
      return items.map((item, i) => walk(shape.of, item, [...path, i]));
    }
    case 'record': {
      expect(isPlainObject(value), path, 'object', value);
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
        walk(shape.key, key, [...path, key]);
        out[key] = walk(shape.value, item, [...path, key]);
      }
      return out;
    }
    case 'object': {
      expect(isPlainObject(value), path, 'object', value);
      const input = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [key, prop] of Object.entries(shape.props)) {
        const item = Object.hasOwn(input, key) ? input[key] : undefined;
        const checked = walk(prop, item, [...path, key]);
        if (checked !== undefined || Object.hasOwn(input, key)) out[key] = checked;
      }
      if (shape.rest === 'strict') {
        const extra = Object.keys(input).find((key) => !Object.hasOwn(shape.props, key));
        if (extra !== undefined) fail(path, `unrecognized key ${show(extra)}`);
      }
      return out;
    }
    case 'union': {
      if (shape.disc !== undefined) {
        const tag = isPlainObject(value) ? value[shape.disc] : undefined;
        const option = shape.of.find((o) => o.t === 'object' && (o.props[shape.disc!] as { values?: readonly unknown[] })?.values?.includes(tag));
        if (!option) fail([...path, shape.disc], `expected one of the ${shape.disc} values of the union, received ${show(tag)?.slice(0, 40)}`);
        return walk(option, value, path);
      }
      let first: Refused | null = null;
      for (const option of shape.of) {
        try {
          return walk(option, value, path);
        } catch (err) {
          if (!(err instanceof Refused)) throw err;
          first ??= err;
        }
      }
      return fail(path, `matches none of the union's options (first: ${first ? `${first.path.join('.') || '(root)'}: ${first.message}` : 'none'})`);
    }
    case 'and':
      return merge(walk(shape.left, value, path), walk(shape.right, value, path), path);
  }
}

/** Both sides' outputs of an intersection, merged as zod merges them. */
function merge(a: unknown, b: unknown, path: (string | number)[]): unknown {
  if (a === b) return a;
  if (isPlainObject(a) && isPlainObject(b)) {
    const out: Record<string, unknown> = { ...a };
    for (const [key, value] of Object.entries(b)) out[key] = Object.hasOwn(a, key) ? merge(a[key], value, [...path, key]) : value;
    return out;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) return a.map((item, i) => merge(item, b[i], [...path, i]));
  return fail(path, 'the two sides of an intersection disagree');
}

/** `value` checked against `shape`, in zod's safeParse result form. */
export function checkShape<T>(shape: Shape<T>, value: unknown): ShapeResult<T> {
  try {
    return { success: true, data: walk(shape, value, []) as T };
  } catch (err) {
    if (!(err instanceof Refused)) throw err;
    return { success: false, error: { issues: [{ path: err.path, message: err.message }] } };
  }
}

/** A shape as a parser with zod's `safeParse`, where code takes either. */
export function shapeParser<T>(shape: Shape<T>): { safeParse(value: unknown): ShapeResult<T> } {
  return { safeParse: (value) => checkShape(shape, value) };
}
