/**
 * Typed readers over the plain values of a parsed config. Each reader either returns the value or
 * records a problem and returns undefined, so validation keeps going and reports everything at once.
 */
import { unsafeNameReason } from '../names.ts';
import { unsafeArgReason } from '../batch/arg-limits.ts';
import type { Reporter, YamlPath } from './reporter.ts';

/** A map from the YAML document as a plain object. */
export type Obj = Record<string, unknown>;

/** How a value is named in messages: `a map`, `a list`, `a string`, `a number`, `true`, `null`. */
export function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing (null)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'boolean') return `a boolean (${value})`;
  if (typeof value === 'number') return 'a number';
  if (typeof value === 'string') return `a string ('${value.length > 40 ? `${value.slice(0, 37)}...` : value}')`;
  return typeof value;
}

export function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Absent means missing or written with no value (`key:`), which YAML reads as null. */
export function isAbsent(value: unknown): boolean {
  return value === undefined || value === null;
}

/**
 * Checks that `value` is a map with only `allowed` keys and every `required` key present.
 * Returns the map (even when it has unknown or missing keys, so its known keys still get checked).
 */
export function readMap(
  r: Reporter, path: YamlPath, value: unknown, allowed: readonly string[], required: readonly string[] = [],
): Obj | undefined {
  if (!isObj(value)) {
    r.add(path, `expected a map, got ${describe(value)}`);
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      r.add([...path, key], `unknown key '${key}'; expected one of: ${allowed.join(', ')}`, { at: 'key' });
    }
  }
  for (const key of required) {
    if (!(key in value)) {
      r.add([...path, key], `missing required key '${key}'`, { linePath: path, at: 'key' });
    }
  }
  return value;
}

/**
 * A string. Plain numbers are accepted as their source text (`name: 7`, `mem_per_cpu: 4000`) because
 * the original tool took such scalars as strings and existing configs rely on it.
 */
export function readString(r: Reporter, path: YamlPath, value: unknown, opts: { argCheck?: boolean } = {}): string | undefined {
  if (typeof value === 'string') {
    // Every string may end up in a command line or an argument (names say more about themselves).
    const bad = opts.argCheck === false ? null : unsafeArgReason(value);
    if (bad) {
      r.add(path, bad);
      return undefined;
    }
    return value;
  }
  if (typeof value === 'number') return r.scalarSource(path) ?? String(value);
  r.add(path, `expected a string, got ${describe(value)}`);
  return undefined;
}

export function readOptionalString(r: Reporter, path: YamlPath, value: unknown): string | undefined {
  return isAbsent(value) ? undefined : readString(r, path, value);
}

/** A string that becomes a folder or file name: one safe path segment. */
export function readName(r: Reporter, path: YamlPath, value: unknown, label: string): string | undefined {
  const name = readString(r, path, value, { argCheck: false });
  if (name === undefined) return undefined;
  const reason = unsafeNameReason(name);
  if (reason) {
    r.add(path, `${label} ${reason}`);
    return undefined;
  }
  return name;
}

/** A number satisfying `rule`; `ruleText` completes "must be ..." in the message. */
export function readNumber(
  r: Reporter, path: YamlPath, value: unknown, rule: (n: number) => boolean, ruleText: string,
): number | undefined {
  if (typeof value !== 'number') {
    r.add(path, `expected a number, got ${describe(value)}`);
    return undefined;
  }
  if (!Number.isFinite(value) || !rule(value)) {
    r.add(path, `must be ${ruleText}, got ${r.scalarSource(path) ?? String(value)}`);
    return undefined;
  }
  return value;
}

/** `true` or `false`. */
export function readBoolean(r: Reporter, path: YamlPath, value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  r.add(path, `expected true or false, got ${describe(value)}`);
  return undefined;
}

export const positive = (n: number): boolean => n > 0;
export const positiveInt = (n: number): boolean => Number.isInteger(n) && n > 0;
export const nonNegativeInt = (n: number): boolean => Number.isInteger(n) && n >= 0;

/** A list whose items are read by `item`; absent lists are empty. Undefined when not a list. */
export function readList<T>(
  r: Reporter, path: YamlPath, value: unknown, what: string, item: (path: YamlPath, value: unknown) => T | undefined,
): T[] | undefined {
  if (isAbsent(value)) return [];
  if (!Array.isArray(value)) {
    r.add(path, `expected a list of ${what}, got ${describe(value)}`);
    return undefined;
  }
  const out: T[] = [];
  let ok = true;
  value.forEach((v, i) => {
    const got = item([...path, i], v);
    if (got === undefined) ok = false;
    else out.push(got);
  });
  return ok ? out : undefined;
}
