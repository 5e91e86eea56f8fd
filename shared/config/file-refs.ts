/**
 * Files named in a config: `{path, alias?}` or, as older configs write them, a bare path string.
 * Paths resolve against the config's folder; the alias (default: the base name) must be a safe file
 * name, and files that share a folder on the node must not share an alias.
 */
import { basename, resolve } from 'node:path';
import type { FileRef } from './types.ts';
import type { Reporter, YamlPath } from './reporter.ts';
import { describe, isObj, readList, readMap, readString } from './read-values.ts';
import { unsafeNameReason } from '../names.ts';
import { pathToString } from './reporter.ts';

/** Why a file cannot be used (`not found`, `is not a regular file`), or null when it is fine. */
export type FileCheck = (absPath: string) => string | null;

export interface FileContext {
  r: Reporter;
  baseDir: string;
  /** Undefined when file existence is not checked. */
  check?: FileCheck;
}

/** A file reference as read, with where it was written (for collision messages). */
export interface LocatedFile {
  ref: FileRef;
  path: YamlPath;
  /** Where the alias came from: the `alias` key, or the path when defaulted. */
  aliasPath: YamlPath;
}

/** Reads one file reference at `path`. */
export function readFileRef(ctx: FileContext, path: YamlPath, value: unknown): LocatedFile | undefined {
  const { r } = ctx;
  let written: string | undefined;
  let alias: string | undefined;
  let pathLine: YamlPath = path;
  let aliasPath: YamlPath = path;
  if (typeof value === 'string' || typeof value === 'number') {
    written = readString(r, path, value);
  } else if (isObj(value)) {
    const map = readMap(r, path, value, ['path', 'alias'], ['path']);
    if (!map || !('path' in map)) return undefined;
    pathLine = [...path, 'path'];
    written = readString(r, pathLine, map.path);
    if (map.alias !== undefined && map.alias !== null) {
      aliasPath = [...path, 'alias'];
      alias = readString(r, aliasPath, map.alias);
      if (alias === undefined) return undefined;
    }
  } else {
    r.add(path, `expected a file (a path, or a map with 'path' and optional 'alias'), got ${describe(value)}`);
    return undefined;
  }
  if (written === undefined) return undefined;
  if (written.trim() === '') {
    r.add(path, 'file path must not be empty', { linePath: pathLine });
    return undefined;
  }
  const abs = resolve(ctx.baseDir, written);
  const finalAlias = alias ?? basename(written);
  let ok = true;
  const reason = unsafeNameReason(finalAlias);
  if (reason) {
    r.add(aliasPath, `alias ${reason}`, { linePath: alias === undefined ? pathLine : aliasPath });
    ok = false;
  }
  const why = ctx.check?.(abs);
  if (why) {
    r.add(path, `file '${written}' ${why}`, { linePath: pathLine });
    ok = false;
  }
  return ok ? { ref: { path: abs, alias: finalAlias }, path, aliasPath } : undefined;
}

/** Reads a list of file references (absent means none). */
export function readFileList(ctx: FileContext, path: YamlPath, value: unknown): LocatedFile[] | undefined {
  return readList(ctx.r, path, value, 'files', (p, v) => readFileRef(ctx, p, v));
}

/**
 * Reports every file in `files` whose alias was already used by an earlier file in `taken` or in
 * `files` itself: they would overwrite each other in the same folder on the node.
 */
export function checkAliases(r: Reporter, taken: readonly LocatedFile[], files: readonly LocatedFile[]): void {
  const seen = new Map<string, LocatedFile>();
  for (const f of taken) if (!seen.has(f.ref.alias)) seen.set(f.ref.alias, f);
  for (const f of files) {
    const first = seen.get(f.ref.alias);
    if (first) {
      const line = r.lineOf(first.aliasPath);
      const where = `${pathToString(first.path)}${line === undefined ? '' : ` on line ${line}`}`;
      r.add(f.aliasPath, `alias '${f.ref.alias}' is already used by ${where}; files in the same folder need distinct aliases`);
    } else {
      seen.set(f.ref.alias, f);
    }
  }
}
