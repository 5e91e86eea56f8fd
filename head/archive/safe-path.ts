/**
 * Relative paths that come from outside (agents' result paths, pull requests) are checked segment
 * by segment before they touch the disk: no absolute paths, no `..`, no empty or control-character
 * segments. The resolved path must stay inside its root.
 */
import path from 'node:path';
import { unsafeNameReason } from '../../shared/names.ts';

export type SafePath = { ok: true; rel: string } | { ok: false; error: string };

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

/** Join `rel` under `root`, refusing anything that would land outside it. */
export function resolveInside(root: string, rel: string): SafePath & { abs?: string } {
  const checked = checkRelativePath(rel);
  if (!checked.ok) return checked;
  const abs = path.resolve(root, checked.rel);
  const r = path.resolve(root);
  // A root that already ends in the separator (the filesystem root) must not get a second one.
  const prefix = r.endsWith(path.sep) ? r : r + path.sep;
  if (abs !== r && !abs.startsWith(prefix)) return { ok: false, error: `path '${rel}' escapes its folder` };
  return { ok: true, rel: checked.rel, abs };
}
