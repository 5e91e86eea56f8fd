/**
 * Lines and scalar texts of a config read by the `yaml` package, found by walking a YAML path
 * through the document's nodes (aliases resolved).
 */
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { Anchor, Locator, YamlPath } from './reporter.ts';

export class YamlLocator implements Locator {
  constructor(
    private readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
  ) {}

  /**
   * 1-based line of the node at `path`; when the path does not exist in full (a missing key, a
   * value that came from a merge key) the line of the deepest node that does exist.
   */
  lineOf(path: YamlPath, at: Anchor = 'value'): number | undefined {
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
    if (isAlias(node)) return node.resolve(this.doc);
    return node;
  }

  private nodeLine(node: unknown): number | undefined {
    const range = (node as Node | null | undefined)?.range;
    if (!range) return undefined;
    return this.lines.linePos(range[0]).line;
  }
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}
