/**
 * Names that become folder or file names (namespace, batch, job, alias) must be one safe path
 * segment: no separators, no `.`/`..`, no NUL or control characters, not too long.
 */
import { z } from 'zod';

/** Returns why `name` is not a safe single path segment, or null when it is. */
export function unsafeNameReason(name: string): string | null {
  if (name.length === 0) return 'must not be empty';
  if (name.length > 200) return 'must be at most 200 characters';
  if (name === '.' || name === '..') return `'${name}' is not a valid folder name`;
  if (name.includes('/') || name.includes('\\')) return `'${name}' must not contain '/' or '\\'`;
  if (/[\u0000-\u001f\u007f]/.test(name)) return `'${printable(name)}' must not contain NUL or control characters`;
  return null;
}

function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export const safeName = z.string().superRefine((value, ctx) => {
  const reason = unsafeNameReason(value);
  if (reason) ctx.addIssue({ code: 'custom', message: reason });
});
