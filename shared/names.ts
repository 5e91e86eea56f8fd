/**
 * Names people read (node names, owners, tags) and names that become folder or file names
 * (namespace, batch, job, alias, result file segments). Both end up in logs, terminals and the
 * dashboard, so neither may hold anything that changes what a reader sees: control characters
 * (C0 such as newline and the ESC of ANSI sequences, DEL, C1), bidirectional overrides and
 * isolates, or nothing but spaces. Folder names must in addition be one safe path segment.
 * Plain functions only: their zod forms are in ./name-schemas.ts, so code that only checks or
 * prints a name (`distribute status`) does not load zod.
 */
/** Longest name of either kind, in characters. */
export const MAX_NAME_LENGTH = 200;

// C0 controls (includes \n, \r, \t and ESC), DEL and the C1 block (U+0080-U+009F).
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// Bidirectional embeddings, overrides, isolates and marks, which reorder what a terminal shows.
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
// Nothing a reader could see: spaces (of any kind), zero-width characters and the BOM.
const BLANK = /^[\s\u200b-\u200d\u2060\ufeff]*$/;

/**
 * Returns why `name` may not be shown as a label (node name, owner, tag), or null when it may.
 * The reason quotes the name with every offending character escaped, so the error itself is safe.
 */
export function unsafeLabelReason(name: string): string | null {
  if (name.length === 0) return 'must not be empty';
  if (name.length > MAX_NAME_LENGTH) return `must be at most ${MAX_NAME_LENGTH} characters`;
  if (CONTROL.test(name)) return `'${printable(name)}' must not contain NUL or control characters`;
  if (BIDI.test(name)) return `'${printable(name)}' must not contain bidirectional override or isolate characters`;
  if (BLANK.test(name)) return `'${printable(name)}' must contain something other than spaces`;
  return null;
}

/** Returns why `name` is not a safe single path segment (and label), or null when it is. */
export function unsafeNameReason(name: string): string | null {
  if (name === '.' || name === '..') return `'${name}' is not a valid folder name`;
  if (name.includes('/') || name.includes('\\')) return `'${printable(name)}' must not contain '/' or '\\'`;
  return unsafeLabelReason(name);
}

export type SafePath = { ok: true; rel: string } | { ok: false; error: string };

/**
 * A relative path from outside (an agent's result path, a manifest entry a pull writes): no
 * absolute path, every segment a {@link unsafeNameReason safe name}. The disk side (staying
 * inside a root) is head/archive/safe-path.ts.
 */
export function checkRelativePath(p: string): SafePath {
  if (p.length === 0) return { ok: false, error: 'empty path' };
  if (p.length > 4096) return { ok: false, error: 'path too long' };
  if (p.startsWith('/') || p.startsWith('\\')) return { ok: false, error: `absolute path '${p}' not allowed` };
  const segments = p.split('/');
  for (const seg of segments) {
    const reason = unsafeNameReason(seg);
    if (reason) return { ok: false, error: `path '${p}': segment ${reason}` };
  }
  return { ok: true, rel: segments.join('/') };
}

/** `s` with control, bidi and invisible characters written as `\xNN` / `\uNNNN` escapes. */
export function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]/g, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
