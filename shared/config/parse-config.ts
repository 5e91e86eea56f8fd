/**
 * Parse and validate batch config text: plain YAML through ./simple-yaml.ts, anything else (and
 * any config with a problem, for its line numbers) through the `yaml` package.
 */
import { LineCounter, parseDocument } from 'yaml';
import type { ConfigResult } from './types.ts';
import { Reporter } from './reporter.ts';
import { YamlLocator } from './yaml-locator.ts';
import { parseSimpleConfig, validateConfig, type ParseOptions } from './validate.ts';

export type { ParseOptions } from './validate.ts';

/** Validates config text. Pure except for the file checks (which `fileExists` can replace). */
export function parseConfig(text: string, opts: ParseOptions): ConfigResult {
  const simple = parseSimpleConfig(text, opts);
  if (simple) return simple;
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
  const r = new Reporter(new YamlLocator(doc, lines));
  let root: unknown;
  try {
    root = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    return { ok: false, problems: [{ path: '', message: `malformed YAML: ${(err as Error).message}` }] };
  }
  return validateConfig(root, r, opts);
}

/** The parser's message, minus advice meant for programmers rather than config authors. */
function yamlErrorText(code: string, message: string): string {
  if (code === 'MULTIPLE_DOCS') return "a config is one YAML document, but a second one starts here ('---')";
  return message.split('\n')[0];
}
