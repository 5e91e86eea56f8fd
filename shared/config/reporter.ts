/**
 * Collects config problems while validation walks the parsed YAML, and finds the 1-based line of
 * any YAML path in the source document so every problem can point at the text that caused it.
 *
 * Validation walks plain JS values (from `doc.toJS()`, so anchors, aliases and merge keys are
 * already applied); line numbers come from walking the same path through the document's nodes
 * (./yaml-locator.ts). Without a document (./simple-yaml.ts read the text) there are no lines.
 */
import type { ConfigProblem } from './types.ts';

/** One step of a YAML path: a map key or a list index. */
export type Segment = string | number;
export type YamlPath = readonly Segment[];

/** Renders `['python', 'jobs', 3, 'file']` as `python.jobs[3].file`. */
export function pathToString(path: YamlPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

/** Where a problem points: at a map entry's key (`name:`) or at its value. */
export type Anchor = 'key' | 'value';

/** What the source document tells about a path: its line, a scalar's text. */
export interface Locator {
  /**
   * 1-based line of the node at `path`; when the path does not exist in full (a missing key, a
   * value that came from a merge key) the line of the deepest node that does exist.
   */
  lineOf(path: YamlPath, at: Anchor): number | undefined;
  /** The scalar's source text at `path`, if any: used to keep numbers' source text (`1.0`, `007`). */
  scalarSource(path: YamlPath): string | undefined;
}

export class Reporter {
  readonly problems: ConfigProblem[] = [];

  constructor(private readonly locator?: Locator) {}

  /** Records a problem at `path`; the line is that of `linePath` (default: `path` itself). */
  add(path: YamlPath, message: string, opts: { at?: Anchor; linePath?: YamlPath; line?: number } = {}): void {
    const linePath = opts.linePath ?? path;
    // A problem with the whole document (an empty path) has no useful line.
    const line = opts.line ?? (linePath.length === 0 ? undefined : this.lineOf(linePath, opts.at ?? 'value'));
    const problem: ConfigProblem = { path: pathToString(path), message };
    if (line !== undefined) problem.line = line;
    this.problems.push(problem);
  }

  /** See {@link Locator.lineOf}; undefined without a document. */
  lineOf(path: YamlPath, at: Anchor = 'value'): number | undefined {
    return this.locator?.lineOf(path, at);
  }

  /** See {@link Locator.scalarSource}; undefined without a document (the value's own text is canonical then). */
  scalarSource(path: YamlPath): string | undefined {
    return this.locator?.scalarSource(path);
  }
}
