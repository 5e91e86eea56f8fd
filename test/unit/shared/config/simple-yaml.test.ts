/**
 * ./simple-yaml.ts reads plain YAML exactly as the `yaml` package does (same values, numbers and
 * -0 included) or declines: over the repository's configs, hand-picked edge cases and thousands of
 * generated and mutated documents. A config with a problem gets the same report either way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { readSimpleYaml } from '../../../../shared/config/simple-yaml.ts';
import { parseConfig } from '../../../../shared/config/parse-config.ts';
import { TEMPLATES } from '../../../../shared/config/templates.ts';

const ROOT = path.resolve(import.meta.dirname, '../../../..');

/** What the config reader does with yaml: its value, or 'error' when yaml reports one. */
function viaYaml(text: string): unknown {
  const doc = parseDocument(text, { prettyErrors: false, keepSourceTokens: true, merge: true });
  if (doc.errors.length) return 'error';
  try {
    return doc.toJS({ maxAliasCount: 1000 });
  } catch {
    return 'error';
  }
}

/** Asserts the fast reader agrees with yaml or declines; true when it took the text. */
function agrees(text: string): boolean {
  const fast = readSimpleYaml(text);
  if (fast === undefined) return false;
  const slow = viaYaml(text);
  assert.notEqual(slow, 'error', `the simple reader took text yaml refuses:\n${text}`);
  assert.deepStrictEqual(fast, slow, `different values for:\n${text}`);
  return true;
}

function yamlFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => path.join(e.parentPath, e.name));
}

test('the repository\'s configs and templates are read alike (and the plain ones are taken)', () => {
  const files = [...yamlFiles(path.join(ROOT, 'examples')), ...yamlFiles(path.join(ROOT, 'test', 'fixtures', 'configs'))];
  const texts = [...files.map((f) => fs.readFileSync(f, 'utf8')), ...Object.values(TEMPLATES).map((t) => t.text)];
  const taken = texts.filter(agrees).length;
  // The same files saved with CRLF line ends are taken alike.
  assert.equal(texts.map((t) => t.replaceAll('\n', '\r\n')).filter(agrees).length, taken);
  assert.ok(taken >= 4, `${taken} of ${texts.length} taken`);
  for (const f of ['examples/python-sweep/distribute-jobs.yaml', 'examples/python-sweep-100/distribute-jobs.yaml']) {
    assert.notEqual(readSimpleYaml(fs.readFileSync(path.join(ROOT, f), 'utf8')), undefined, f);
  }
});

/** Values and keys that are plain, odd, or things the reader must leave to yaml. */
const VALUES = [
  'x', 'echo hi', 'echo a,b', 'a]', 'a}', 'a[0]', 'x: y', 'a:b', 'a #c', 'a#c', "'s'", "'it''s'", "''", '"d"', '""', '"a\\n"', '"a #b"',
  '1', '-1', '+1', '0', '-0', '10', '007', '1.0', '0.5', '-0.5', '.5', '5.', '1e3', '1E3', '12345678901234567890', '0x1F', '0o17',
  '.inf', '-.Inf', '.nan', '~', 'null', 'Null', 'NULL', 'nULL', 'true', 'True', 'TRUE', 'tRUE', 'false', 'yes', 'no', 'on', 'off', 'y',
  '[]', '{}', '[a, b]', '[ a , b ]', '[1, "2", \'3\']', '{ a: 1 }', '{a: 1}', '{a:1}', '{ a: [1, { b: c }] }', '[a: 1]', '{ a }', '[a,]',
  '{ a: 1, }', '{ a: 1, a: 2 }', '[a, [b, [c]]]', '{ "a": 1 }', '{ a: x y, b: "z" }', '[a, b] # c', '[a, b]#c', '[a, b] x',
  '- x', '-x', '&a x', '*a', '!t x', '!!str 1', '|', '>', '@x', '`x`', '%x', '? x', 'é', 'a\u00a0', 'a\u00a0b', '[a, b', '{ a: 1',
  '"un', "'un", '"a" b', "'a'b", 'a\tb', '\\x', 'C:\\dir', '<< x', '--- x', 'a: b: c', '#c', ' ', '"a": b', 'a -b', 'https://x/y',
];
/** What configs mostly hold: most generated values come from here, so most documents are taken. */
const COMMON = ['x', 'echo hi', 'echo a,b', '"true"', "'s q'", '1', '0.5', '-2', 'true', '~', '[]', '[a, b]', '{ a: 1 }', '{ name: j1, command: "true" }', '[{ path: p.json, alias: q.json }]'];
const KEYS = ['a', 'b_c', 'd-e', 'name', 'command', 'jobs', '"q"', "'q'", 'null', 'True', 'on', 'a b', '__proto__', 'constructor', '1', '<<', 'a.b', 'é', '? k'];

/** A small deterministic generator (mulberry32). */
function rng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { int: (n: number) => Math.floor(next() * n), pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)], chance: (p: number) => next() < p };
}

/** A random document: maps and lists nested a few levels, with comments, blank lines and odd indents. */
function generate(r: ReturnType<typeof rng>): string {
  const lines: string[] = [];
  const pad = (n: number) => ' '.repeat(n);
  const step = () => (r.chance(0.95) ? 2 : r.pick([1, 3, 4]));
  const value = () => r.pick(r.chance(0.9) ? COMMON : VALUES);
  const block = (indent: number, depth: number, kind: 'map' | 'seq') => {
    const n = 1 + r.int(4);
    for (let i = 0; i < n; i++) {
      if (r.chance(0.1)) lines.push(r.chance(0.5) ? '' : `${pad(r.int(6))}# note`);
      // Keys mostly distinct within their map (a repeated key is an error yaml reports).
      const key = r.chance(0.9) ? `${r.pick(KEYS.slice(0, 6))}${i}` : r.pick(KEYS);
      const head = kind === 'map' ? `${pad(indent)}${key}:` : `${pad(indent)}-`;
      const roll = r.int(10);
      if (depth < 3 && roll < 3) {
        lines.push(head + (r.chance(0.1) ? ' # c' : ''));
        const child = r.chance(0.5) ? 'map' : 'seq';
        block(child === 'seq' && kind === 'map' && r.chance(0.3) ? indent : indent + step(), depth + 1, child);
      } else if (kind === 'seq' && depth < 3 && roll < 5) {
        // A compact map on the item's line: `- a: 1` with its other keys at the column after `- `.
        const col = indent + 2 + (r.chance(0.1) ? 1 : 0);
        lines.push(`${pad(indent)}-${pad(col - indent - 1)}${r.pick(KEYS.slice(0, 8))}: ${value()}`);
        for (let k = r.int(3); k > 0; k--) lines.push(`${pad(r.chance(0.9) ? col : col + r.pick([-1, 1]))}${r.pick(KEYS.slice(0, 8))}${k}: ${value()}`);
      } else {
        lines.push(`${head}${r.chance(0.05) ? '' : ` ${value()}`}${r.chance(0.1) ? ' # trailing' : ''}${r.chance(0.05) ? '  ' : ''}`);
      }
    }
  };
  block(0, 0, r.chance(0.95) ? 'map' : 'seq');
  return lines.join('\n') + (r.chance(0.9) ? '\n' : '');
}

/** The text with one character removed, doubled or inserted. */
function mutate(r: ReturnType<typeof rng>, text: string): string {
  const at = r.int(text.length + 1);
  const c = r.pick([' ', ':', '-', '#', '{', '}', '[', ']', ',', '"', "'", '\n', '\t', '\r', '\r\n', 'x', '0', '&', '*']);
  switch (r.int(3)) {
    case 0: return text.slice(0, at) + text.slice(at + 1);
    case 1: return text.slice(0, at) + text[at] + text.slice(at);
    default: return text.slice(0, at) + c + text.slice(at);
  }
}

test('every value and key form, alone and in generated documents, is read as yaml reads it or declined', () => {
  let single = 0;
  for (const v of VALUES) for (const k of KEYS) single += Number(agrees(`${k}: ${v}\n`)) + Number(agrees(`top:\n  - ${v}\n  - ${k}: ${v}\n`));
  const r = rng(10);
  let generated = 0;
  let mutated = 0;
  for (let i = 0; i < 4000; i++) {
    const text = generate(r);
    generated += Number(agrees(r.chance(0.1) ? text.replaceAll('\n', '\r\n') : text));
    mutated += Number(agrees(mutate(r, text)));
  }
  // Enough of each kind is taken for the comparison to mean something.
  assert.ok(single > 400 && generated > 1000 && mutated > 500, `taken: ${single} single values, ${generated} generated, ${mutated} mutated`);
});

test('a config with a problem gets yaml\'s report, lines included, whichever reader went first', () => {
  const texts = [
    'meta:\n  batch_name: b\n  namespace: ns\n  capabilities: []\nshell:\n  jobs:\n    - { name: a, command: "true" }\n    - { name: a, command: x }\n',
    'meta:\n  batch_name: b\n  namespace: ns\nshell:\n  jobs:\n    - { name: a, command: "true" }\n',
    'meta:\n  batch_name: b/c\n  namespace: ns\n  capabilities: []\nshell:\n  jobs: []\n',
    'meta:\n  batch_name: 7\n  namespace: ns\n  capabilities: [x]\n  resources: { cpus: 0 }\nshell:\n  jobs:\n    - { name: 1, command: 2 }\n',
  ];
  for (const text of texts) {
    const a = parseConfig(text, { baseDir: '/cfg', checkFiles: false });
    const b = parseConfig(text, { baseDir: '/cfg', checkFiles: false, simpleYaml: false });
    assert.deepEqual(a, b, text);
    assert.equal(a.ok, text.includes('batch_name: 7\n') ? a.ok : false);
    if (!a.ok) assert.ok(a.problems.some((p) => p.line !== undefined), `${text}: problems keep their lines`);
  }
});

test('nesting deep enough to overflow the stack is a malformed-YAML problem either way, not a crash', () => {
  const deepBlock = `a:\n  ${'- '.repeat(30_000)}x\n`;
  const deepFlow = `a: ${'['.repeat(50_000)}${']'.repeat(50_000)}\n`;
  for (const text of [deepBlock, deepFlow]) {
    assert.equal(readSimpleYaml(text), undefined);
    for (const simpleYaml of [true, false]) {
      const r = parseConfig(text, { baseDir: '/cfg', checkFiles: false, simpleYaml });
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.problems[0].message, /^malformed YAML: /);
    }
  }
});
