/**
 * Read a batch config file and validate it (./validate.ts). Plain YAML is read without loading
 * the `yaml` package (./simple-yaml.ts): `distribute add` starts faster; anything else, and any
 * config with a problem, goes through ./parse-config.ts.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { ConfigProblem, ConfigResult } from './types.ts';
import { parseSimpleConfig } from './validate.ts';

export type { ParseOptions } from './validate.ts';

/** Reads and validates the config file at `path`; a missing or unreadable file is a problem, not a throw. */
export async function loadConfig(path: string): Promise<ConfigResult> {
  const abs = resolve(path);
  let text: string;
  try {
    const info = await stat(abs);
    if (!info.isFile()) return { ok: false, problems: [{ path: '', message: `config '${path}' is not a regular file` }] };
    text = await readFile(abs, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'not found' : `cannot be read (${code ?? (err as Error).message})`;
    return { ok: false, problems: [{ path: '', message: `config '${path}' ${why}` }] };
  }
  const opts = { baseDir: dirname(abs), source: abs };
  return parseSimpleConfig(text, opts) ?? (await import('./parse-config.ts')).parseConfig(text, { ...opts, simpleYaml: false });
}

/**
 * One line per problem: `python.jobs[3].file: file 'run7.py' not found (line 41)`, prefixed with
 * `file: ` when given.
 */
export function formatProblems(problems: ConfigProblem[], file?: string): string {
  return problems.map((p) => {
    const where = p.path === '' ? '' : `${p.path}: `;
    const line = p.line === undefined ? '' : ` (line ${p.line})`;
    return `${file ? `${file}: ` : ''}${where}${p.message}${line}`;
  }).join('\n');
}
