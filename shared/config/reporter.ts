/**
 * Collects config problems while validation walks the parsed YAML, and finds the 1-based line of
 * any YAML path in the source document so every problem can point at the text that caused it.
 *
 * Validation walks plain JS values (from `doc.toJS()`, so anchors, aliases and merge keys are
 * already applied); line numbers come from walking the same path through the document's nodes.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
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

export class Reporter {
  readonly problems: ConfigProblem[] = [];

  constructor(
    private readonly doc: Document.Parsed | undefined,
    private readonly lines: LineCounter | undefined,
  ) {}

  /** Records a problem at `path`; the line is that of `linePath` (default: `path` itself). */
  add(path: YamlPath, message: string, opts: { at?: Anchor; linePath?: YamlPath; line?: number } = {}): void {
    const linePath = opts.linePath ?? path;
    // A problem with the whole document (an empty path) has no useful line.
    const line = opts.line ?? (linePath.length === 0 ? undefined : this.lineOf(linePath, opts.at ?? 'value'));
    const problem: ConfigProblem = { path: pathToString(path), message };
    if (line !== undefined) problem.line = line;
    this.problems.push(problem);
  }

  /**
   * 1-based line of the node at `path`; when the path does not exist in full (a missing key, a
   * value that came from a merge key) the line of the deepest node that does exist.
   */
  lineOf(path: YamlPath, at: Anchor = 'value'): number | undefined {
    if (!this.doc || !this.lines) return undefined;
    let node: unknown = this.doc.contents;
    let line = this.nodeLine(node);
    for (let i = 0; i < path.length; i++) {
      node = this.resolve(node);
      const seg = path[i];
      const last = i === path.length - 1;
      let next: unknown;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && keyText(p.key) === String(seg));
        if (!pair) return line;
        if (last && at === 'key') return this.nodeLine(pair.key) ?? line;
        next = pair.value;
      } else if (isSeq(node) && typeof seg === 'number') {
        next = node.items[seg];
      } else {
        return line;
      }
      if (next === undefined || next === null) return line;
      line = this.nodeLine(next) ?? line;
      node = next;
    }
    return line;
  }

  /** The scalar node at `path`, if any: used to keep numbers' source text (`1.0`, `007`). */
  scalarSource(path: YamlPath): string | undefined {
    if (!this.doc) return undefined;
    let node: unknown = this.doc.contents;
    for (const seg of path) {
      node = this.resolve(node);
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && keyText(p.key) === String(seg));
        node = pair?.value;
      } else if (isSeq(node) && typeof seg === 'number') {
        node = node.items[seg];
      } else {
        return undefined;
      }
    }
    node = this.resolve(node);
    return isScalar(node) && typeof node.source === 'string' ? node.source : undefined;
  }

  private resolve(node: unknown): unknown {
    if (this.doc && isAlias(node)) return node.resolve(this.doc);
    return node;
  }

  private nodeLine(node: unknown): number | undefined {
    const range = (node as Node | null | undefined)?.range;
    if (!range || !this.lines) return undefined;
    return this.lines.linePos(range[0]).line;
  }
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}
