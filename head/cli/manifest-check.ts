/**
 * The client trusts nothing the head sends before it writes to disk. A manifest names the folders
 * and files `pull` and `sync` create under `--out`: its namespace, batch and job names must each
 * be one safe path segment and every file path a safe relative path (no `..`, no absolute path, no
 * control characters), sizes whole numbers and digests real sha256s. A head that sends anything
 * else (a compromised or impostor head, a man in the middle without TLS) gets an error naming the
 * problem and nothing is written.
 */
import path from 'node:path';
import { z } from 'zod';
import { unsafeNameReason } from '../../shared/names.ts';
import { SHA256_PATTERN } from '../../shared/api/routes.ts';
import { checkRelativePath, resolveInside } from '../archive/safe-path.ts';

const segment = z.string().superRefine((value, ctx) => {
  const reason = unsafeNameReason(value);
  if (reason) ctx.addIssue({ code: 'custom', message: reason });
});

const relPath = z.string().superRefine((value, ctx) => {
  const checked = checkRelativePath(value);
  if (!checked.ok) ctx.addIssue({ code: 'custom', message: checked.error });
});

/** One archived file as the head lists it. */
export const ManifestFileSchema = z.object({
  job: segment,
  path: relPath,
  size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  sha256: z.string().regex(SHA256_PATTERN, 'expected a sha256 hex digest'),
});

/** A batch's manifest (`GET /api/batches/:ref/manifest`) as the client accepts it. */
export const ManifestSchema = z.object({
  id: z.string().min(1).max(200),
  namespace: segment,
  batch: segment,
  files: z.array(ManifestFileSchema),
  pending: z.array(segment),
});
export type CheckedManifest = z.infer<typeof ManifestSchema>;

/** `raw` as a manifest, or an error naming the first field the client refuses. */
export function checkManifest(raw: unknown): { ok: true; manifest: CheckedManifest } | { ok: false; error: string } {
  const parsed = ManifestSchema.safeParse(raw);
  if (parsed.success) return { ok: true, manifest: parsed.data };
  const issue = parsed.error.issues[0];
  return { ok: false, error: `the head sent a manifest the client refuses: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'malformed'}` };
}

/**
 * Where `parts` (already checked segments and paths) land under `root`, or an error when the result
 * would leave `root` (belt and braces behind the checks above).
 */
export function localPathInside(root: string, parts: string[]): { ok: true; abs: string } | { ok: false; error: string } {
  const rel = parts.join('/');
  const inside = resolveInside(root, rel);
  if (!inside.ok || !inside.abs) return { ok: false, error: `refused to write '${rel}': ${inside.ok ? 'outside the output folder' : inside.error}` };
  return { ok: true, abs: path.normalize(inside.abs) };
}
