/**
 * Relative paths that come from outside (agents' result paths, pull requests) are checked segment
 * by segment before they touch the disk: no absolute paths, no `..`, no empty or control-character
 * segments. The resolved path must stay inside its root.
 */
import path from 'node:path';
import { checkRelativePath, type SafePath } from '../../shared/names.ts';

export { checkRelativePath, type SafePath } from '../../shared/names.ts';

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
