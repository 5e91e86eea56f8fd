/**
 * Parse and validate a batch config (see MISSION.md "Config format"). Every problem in the file is
 * reported at once, each with its YAML path and 1-based line, so a user fixes a config in one pass.
 */
import { readFile, stat } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { BatchConfig, ConfigProblem, ConfigResult, JobSection, SlurmSettings } from './types.ts';
import { Reporter } from './reporter.ts';
import { describe, isAbsent, isObj, readMap } from './read-values.ts';
import { readMeta, readSlurm } from './meta-section.ts';
import { readSection, SECTION_KINDS } from './job-sections.ts';
import type { FileCheck } from './file-refs.ts';

export interface ParseOptions {
  /** Folder that relative file paths resolve against (the config file's folder). */
  baseDir: string;
  /** Recorded as {@link BatchConfig.source}; default `<string>`. */
  source?: string;
  /** Check that every named file exists and is a regular file (default true). */
  checkFiles?: boolean;
  /** Replaces the file-system check, e.g. in tests: true when `absPath` is a usable regular file. */
  fileExists?: (absPath: string) => boolean;
}

const TOP_KEYS = ['meta', ...SECTION_KINDS, 'slurm'] as const;

/** Validates config text. Pure except for the file checks (which `fileExists` can replace). */
export function parseConfig(text: string, opts: ParseOptions): ConfigResult {
  const lines = new LineCounter();
  // merge: true so `<<: *defaults` works; uniqueKeys (default) makes a repeated key an error.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, keepSourceTokens: true, merge: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => ({
        path: '', line: lines.linePos(e.pos[0]).line, message: `malformed YAML: ${yamlErrorText(e.code, e.message)}`,
      })),
    };
  }
  const r = new Reporter(doc, lines);
  let root: unknown;
  try {
    root = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    return { ok: false, problems: [{ path: '', message: `malformed YAML: ${(err as Error).message}` }] };
  }
  if (isAbsent(root)) return { ok: false, problems: [{ path: '', message: 'the config is empty; it needs a meta section and one job section' }] };
  if (!isObj(root)) {
    r.add([], `expected a map with a meta section and one job section, got ${describe(root)}`);
    return { ok: false, problems: r.problems };
  }
  const top = readMap(r, [], root, TOP_KEYS, ['meta']) ?? {};
  const meta = 'meta' in top ? readMeta(r, top.meta) : undefined;

  const kinds = SECTION_KINDS.filter((k) => k in top);
  if (kinds.length === 0) {
    r.add([], 'expected exactly one job section (python, apptainer or shell), found none');
  } else if (kinds.length > 1) {
    r.add([kinds[1]], `expected exactly one job section (python, apptainer or shell), found ${kinds.length}: ${kinds.join(', ')}`, { at: 'key' });
  }
  const check = opts.checkFiles === false ? undefined : fileCheck(opts.fileExists);
  const ctx = { r, baseDir: resolve(opts.baseDir), check };
  // Every present section is validated so its problems show up too, even when there are two.
  const sections = kinds.map((k) => readSection(ctx, k, top[k]));
  const slurm: SlurmSettings | undefined = isAbsent(top.slurm) ? undefined : readSlurm(r, ['slurm'], top.slurm);

  const section: JobSection | undefined = sections.length === 1 ? sections[0] : undefined;
  if (r.problems.length > 0 || !meta || !section) {
    return { ok: false, problems: sortByLine(r.problems) };
  }
  const config: BatchConfig = { source: opts.source ?? '<string>', meta, section };
  if (slurm) config.slurm = slurm;
  return { ok: true, config };
}

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
  return parseConfig(text, { baseDir: dirname(abs), source: abs });
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

/** The parser's message, minus advice meant for programmers rather than config authors. */
function yamlErrorText(code: string, message: string): string {
  if (code === 'MULTIPLE_DOCS') return "a config is one YAML document, but a second one starts here ('---')";
  return message.split('\n')[0];
}

function fileCheck(fileExists?: (absPath: string) => boolean): FileCheck {
  if (fileExists) return (abs) => (fileExists(abs) ? null : 'not found');
  return (abs) => {
    try {
      return statSync(abs).isFile() ? null : 'is not a regular file';
    } catch {
      return 'not found';
    }
  };
}

/** Document order; problems about the whole document (no line) first. Stable for equal lines. */
function sortByLine(problems: ConfigProblem[]): ConfigProblem[] {
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => (a.p.line ?? 0) - (b.p.line ?? 0) || a.i - b.i)
    .map(({ p }) => p);
}
