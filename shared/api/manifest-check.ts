/**
 * The check of a manifest answer without zod: the same verdict and the same output as
 * `ManifestSchema` (./head-api.ts; test/unit/shared/api/manifest-check.test.ts compares the two),
 * written out by hand because its names and paths are checked by functions, which the generated
 * shapes (./answer-shapes.ts) cannot express. A `pull` then never loads zod and the schemas it
 * builds at import, about 40 ms of CPU: a fifth of what a pull of 2,000 small files spends.
 * Nothing the head sends is trusted: namespace, batch and job must each be one safe path segment,
 * every path a safe relative path, sizes whole numbers and digests real sha256s.
 */
import { checkRelativePath, unsafeNameReason } from '../names.ts';
import type { AnswerParser } from './api-result.ts';
import type { Manifest, ManifestFile } from './head-api.ts';
import { SHA256_PATTERN } from './routes.ts';

type Path = (string | number)[];

class Refused extends Error {
  constructor(readonly path: Path, message: string) {
    super(message);
  }
}

const kindOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

function object(v: unknown, path: Path): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Refused(path, `expected object, received ${kindOf(v)}`);
  return v as Record<string, unknown>;
}

function string(v: unknown, path: Path): string {
  if (typeof v !== 'string') throw new Refused(path, `expected string, received ${kindOf(v)}`);
  return v;
}

function safeName(v: unknown, path: Path): string {
  const s = string(v, path);
  const reason = unsafeNameReason(s);
  if (reason) throw new Refused(path, reason);
  return s;
}

function array(v: unknown, path: Path): unknown[] {
  if (!Array.isArray(v)) throw new Refused(path, `expected array, received ${kindOf(v)}`);
  return v;
}

function file(v: unknown, path: Path): ManifestFile {
  const o = object(v, path);
  const job = safeName(o.job, [...path, 'job']);
  const rel = string(o.path, [...path, 'path']);
  const checked = checkRelativePath(rel);
  if (!checked.ok) throw new Refused([...path, 'path'], checked.error);
  const size = o.size;
  if (typeof size !== 'number' || Number.isNaN(size)) throw new Refused([...path, 'size'], `expected number, received ${kindOf(size)}`);
  if (!Number.isInteger(size)) throw new Refused([...path, 'size'], 'expected int, received number');
  if (size < 0) throw new Refused([...path, 'size'], 'Too small: expected number to be >=0');
  if (size > Number.MAX_SAFE_INTEGER) throw new Refused([...path, 'size'], `Too big: expected number to be <=${Number.MAX_SAFE_INTEGER}`);
  const sha256 = string(o.sha256, [...path, 'sha256']);
  if (!SHA256_PATTERN.test(sha256)) throw new Refused([...path, 'sha256'], 'expected a sha256 hex digest');
  return { job, path: rel, size, sha256 };
}

function manifest(v: unknown): Manifest {
  const o = object(v, []);
  const id = string(o.id, ['id']);
  if (id.length < 1) throw new Refused(['id'], 'Too small: expected string to have >=1 characters');
  if (id.length > 200) throw new Refused(['id'], 'Too big: expected string to have <=200 characters');
  const namespace = safeName(o.namespace, ['namespace']);
  const batch = safeName(o.batch, ['batch']);
  const files = array(o.files, ['files']).map((f, i) => file(f, ['files', i]));
  const pending = array(o.pending, ['pending']).map((p, i) => safeName(p, ['pending', i]));
  return { id, namespace, batch, files, pending };
}

/** A manifest answer checked field by field; unknown keys are dropped, as zod drops them. */
export const manifestParser: AnswerParser<Manifest> = {
  safeParse(data) {
    try {
      return { success: true, data: manifest(data) };
    } catch (err) {
      if (!(err instanceof Refused)) throw err;
      return { success: false, error: { issues: [{ path: err.path, message: err.message }] } };
    }
  },
};
