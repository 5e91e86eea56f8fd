/**
 * A fast reader for the plain YAML most batch configs are written in: block maps and lists, flow
 * maps and lists on one line (`- { name: a, command: "true" }`), plain and quoted scalars,
 * comments. The `yaml` package spends ~50-100 ms of a cold process composing a 300-job config (its
 * lexer, parser and document nodes, all run once, so never optimised); this reads the same text
 * in a few ms.
 *
 * It declines (returns undefined) anything it is not sure to read exactly as `yaml` does with the
 * config's options (YAML 1.2, core schema, unique keys): anchors, aliases, tags, merge keys, block
 * scalars, multi-line scalars or flows, escapes, quoted or odd keys, numbers not written in their
 * canonical form (`1.0`, `007`: the config keeps their source text, ./read-values.ts), tabs,
 * control characters (a CR that does not end a line among them), `---`, duplicate keys. The caller then parses with `yaml`, which also gives
 * every problem its line: test/unit/shared/config/simple-yaml.test.ts holds the two to the same
 * values over a corpus of configs.
 */

/** A line with content: its indentation (spaces) and the text after it. */
interface Line {
  indent: number;
  text: string;
}

/** Thrown inside the reader to decline; never escapes {@link readSimpleYaml}. */
class Decline extends Error {}
const decline = (): never => { throw new Decline(); };

const KEY = /^([A-Za-z_][A-Za-z0-9_-]*):(?: +|$)/;
const NULL = /^(?:~|[Nn]ull|NULL)$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT = /^[-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
/** Characters that may not start a plain scalar, or start something this reader leaves to yaml. */
const INDICATOR = /^[-?:,[\]{}#&*!|>'"%@`]/;
/**
 * Left to yaml: control characters (tabs, CR among them), YAML 1.1's extra line breaks, and the
 * white space JavaScript's trim() would take for spaces but YAML keeps as text.
 */
const UNSAFE_CHAR = /[\u0000-\u0009\u000b-\u001f\u007f-\u00a0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]/;

/** The value `yaml`'s `parseDocument(text).toJS()` would give, or undefined when unsure. */
export function readSimpleYaml(text: string): unknown {
  // CRLF line ends (a config saved on Windows) are line breaks like LF; a lone CR stays unsafe.
  const lf = text.includes('\r\n') ? text.replaceAll('\r\n', '\n') : text;
  if (UNSAFE_CHAR.test(lf)) return undefined;
  const lines: Line[] = [];
  for (const raw of lf.split('\n')) {
    const body = raw.trimStart();
    if (body === '' || body.startsWith('#')) continue;
    if (/^(?:---|\.\.\.)(?:\s|$)/.test(raw) || raw.startsWith('%')) return undefined;
    lines.push({ indent: raw.length - body.length, text: body.trimEnd() });
  }
  if (lines.length === 0 || lines[0].indent !== 0) return undefined;
  try {
    const reader = new BlockReader(lines);
    const root = reader.block(0);
    return reader.done() && isMap(root) ? root : undefined;
  } catch (err) {
    // Nesting deep enough to overflow the stack (a hostile file) is left to yaml too, whose
    // reading ends in a "malformed YAML" problem rather than a crash.
    if (err instanceof Decline || err instanceof RangeError) return undefined;
    throw err;
  }
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const isSeqItem = (text: string) => text === '-' || text.startsWith('- ');

class BlockReader {
  private at = 0;

  constructor(private readonly lines: Line[]) {}

  done(): boolean {
    return this.at === this.lines.length;
  }

  /** The map or list starting at the current line, whose indentation must be `indent`. */
  block(indent: number): unknown {
    const line = this.lines[this.at];
    if (line.indent !== indent) decline();
    return isSeqItem(line.text) ? this.seq(indent) : this.map(indent);
  }

  private map(indent: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    while (this.at < this.lines.length) {
      const line = this.lines[this.at];
      if (line.indent < indent) break;
      if (line.indent > indent || isSeqItem(line.text)) decline();
      const m = KEY.exec(line.text) ?? decline();
      const key = m[1];
      if (key === '__proto__' || NULL.test(key) || BOOL.test(key) || Object.hasOwn(out, key)) decline();
      const rest = line.text.slice(m[0].length);
      this.at++;
      out[key] = rest === '' || rest.startsWith('#') ? this.nested(indent, true) : this.inline(rest, indent);
    }
    return out;
  }

  private seq(indent: number): unknown[] {
    const out: unknown[] = [];
    while (this.at < this.lines.length) {
      const line = this.lines[this.at];
      if (line.indent < indent) break;
      if (line.indent > indent || !isSeqItem(line.text)) decline();
      const rest = line.text.slice(1).trimStart();
      if (rest === '' || rest.startsWith('#')) {
        this.at++;
        out.push(this.nested(indent, false));
      } else if (KEY.test(rest) || isSeqItem(rest)) {
        // `- name: a` (a map) or `- - a` (a list) on the item's line: the block starts at its column.
        const column = indent + (line.text.length - rest.length);
        this.lines[this.at] = { indent: column, text: rest };
        out.push(this.block(column));
      } else {
        this.at++;
        out.push(this.inline(rest, indent));
      }
    }
    return out;
  }

  /** After `key:` or `-` with nothing else: a deeper block, a list at the key's own indent, or null. */
  private nested(indent: number, inMap: boolean): unknown {
    const next = this.lines[this.at];
    if (next && next.indent > indent) return this.block(next.indent);
    if (inMap && next && next.indent === indent && isSeqItem(next.text)) return this.seq(indent);
    return null;
  }

  /** A value on the rest of a line; a deeper line after it would continue it: left to yaml. */
  private inline(rest: string, indent: number): unknown {
    const next = this.lines[this.at];
    if (next && next.indent > indent) decline();
    if (!/^[[{"']/.test(rest)) return plainBlock(rest);
    const flow = new FlowReader(rest);
    const value = flow.value();
    flow.end();
    return value;
  }
}

/** A plain scalar filling the rest of a block line (its comment already allowed for). */
function plainBlock(rest: string): unknown {
  const hash = rest.indexOf(' #');
  const text = (hash === -1 ? rest : rest.slice(0, hash)).trimEnd();
  if (text.includes(': ') || text.endsWith(':')) decline();
  return scalar(text);
}

/** The core schema's reading of a plain scalar, declining numbers whose text is not canonical. */
function scalar(text: string): unknown {
  if (text === '' || NULL.test(text)) return null;
  if (BOOL.test(text)) return text[0] === 't' || text[0] === 'T';
  if (/^[-+.0-9]/.test(text)) {
    const n = INT.test(text) ? parseInt(text, 10) : FLOAT.test(text) ? parseFloat(text) : decline();
    return String(n) === text ? n : decline();
  }
  if (INDICATOR.test(text)) decline();
  return text;
}

/** Flow collections and quoted scalars on the rest of one line. */
class FlowReader {
  private at = 0;

  constructor(private readonly text: string) {}

  value(): unknown {
    this.space();
    const c = this.text[this.at];
    if (c === '{') return this.map();
    if (c === '[') return this.seq();
    if (c === '"' || c === "'") return this.quoted(c);
    return this.plain();
  }

  /** Only spaces and a comment may follow the value. */
  end(): void {
    this.space();
    const left = this.text.slice(this.at);
    if (left !== '' && !(left.startsWith('#') && /\s$/.test(this.text.slice(0, this.at)))) decline();
  }

  private space(): void {
    while (this.text[this.at] === ' ') this.at++;
  }

  private map(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.items('}', () => {
      const m = KEY.exec(this.text.slice(this.at));
      if (!m || !m[0].endsWith(' ')) decline();
      const key = m![1];
      if (key === '__proto__' || NULL.test(key) || BOOL.test(key) || Object.hasOwn(out, key)) decline();
      this.at += m![0].length;
      out[key] = this.value();
    });
    return out;
  }

  private seq(): unknown[] {
    const out: unknown[] = [];
    this.items(']', () => out.push(this.value()));
    return out;
  }

  /** A flow collection from its opening bracket to `close`: `item` reads each entry, commas between. */
  private items(close: string, item: () => void): void {
    this.at++;
    this.space();
    if (this.text[this.at] === close) {
      this.at++;
      return;
    }
    for (;;) {
      item();
      this.space();
      const c = this.text[this.at++];
      if (c === close) return;
      if (c !== ',') decline();
      this.space();
    }
  }

  private quoted(q: string): string {
    const close = this.text.indexOf(q, this.at + 1);
    if (close === -1) decline();
    const body = this.text.slice(this.at + 1, close);
    if (q === '"' && body.includes('\\')) decline();
    this.at = close + 1;
    if (q === "'" && this.text[this.at] === "'") decline(); // '' escapes: left to yaml
    if (this.text[this.at] === ':') decline(); // a quoted key
    return body;
  }

  /** A plain scalar inside a flow: up to `,`, `]` or `}`; `:`, `#` and nested indicators are left to yaml. */
  private plain(): unknown {
    const m = /^[^,[\]{}:#]*/.exec(this.text.slice(this.at))!;
    const text = m[0].trimEnd();
    if (text === '' || this.text[this.at + m[0].length] === undefined) decline();
    this.at += m[0].length;
    return scalar(text);
  }
}
