/**
 * Validation of a batch config's value (see MISSION.md "Config format"), whichever reader made it
 * from the text: every problem is reported at once, each with its YAML path (and line, when the
 * reporter has yaml's document), so a user fixes a config in one pass.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { BatchConfig, ConfigProblem, ConfigResult, JobSection, SlurmSettings } from './types.ts';
import { Reporter } from './reporter.ts';
import { describe, isAbsent, isObj, readMap } from './read-values.ts';
import { readMeta, readSlurm } from './meta-section.ts';
import { readSection, SECTION_KINDS } from './job-sections.ts';
import type { FileCheck } from './file-refs.ts';
import { readSimpleYaml } from './simple-yaml.ts';

export interface ParseOptions {
  /** Folder that relative file paths resolve against (the config file's folder). */
  baseDir: string;
  /** Recorded as {@link BatchConfig.source}; default `<string>`. */
  source?: string;
  /** Check that every named file exists and is a regular file (default true). */
  checkFiles?: boolean;
  /** Replaces the file-system check, e.g. in tests: true when `absPath` is a usable regular file. */
  fileExists?: (absPath: string) => boolean;
  /** Try ./simple-yaml.ts before yaml (default true; false in tests holding the two to the same result). */
  simpleYaml?: boolean;
}

const TOP_KEYS = ['meta', ...SECTION_KINDS, 'slurm'] as const;

/**
 * The config read by ./simple-yaml.ts and valid: undefined when that reader declines the text or
 * the config has a problem, whose report (with its line) then comes from yaml's reading
 * (./parse-config.ts). A few ms for 300 jobs, against yaml's ~50-100 ms in a fresh process.
 */
export function parseSimpleConfig(text: string, opts: ParseOptions): ConfigResult | undefined {
  if (opts.simpleYaml === false) return undefined;
  const root = readSimpleYaml(text);
  if (root === undefined) return undefined;
  const result = validateConfig(root, new Reporter(), opts);
  return result.ok ? result : undefined;
}

/** Validates the config's value (`root`, plain data as yaml's `toJS()` gives it), reporting through `r`. */
export function validateConfig(root: unknown, r: Reporter, opts: ParseOptions): ConfigResult {
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
