/**
 * The layering rule, checked on paths: every relative import (static, `export ... from`, dynamic
 * `import()`, type-only too) of every source file is resolved and its folder compared with what
 * the importing folder may use.
 *
 *   shared/ <- client/ <- head/cli, electron/main
 *   shared/ <- electron/agent/ <- electron/main/
 *   shared/ <- head/ (the server side never imports electron/ or client/; head/cli and head/run
 *              may host the agent core)
 *
 * and the job runner (electron/agent/runner/) is imported from outside its folder only through
 * its index.ts.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** A layer: a folder prefix (relative to the repo, `/`-separated). The most specific prefix wins. */
interface Layer { prefix: string; mayNotImport: string[]; why: string }

const LAYERS: Layer[] = [
  { prefix: 'shared/', mayNotImport: ['head/', 'electron/', 'client/'], why: 'shared/ is pure code both sides import' },
  { prefix: 'client/', mayNotImport: ['head/', 'electron/'], why: 'client/ is the user-side library the CLI and the tray share; it builds on shared/ only' },
  { prefix: 'electron/agent/', mayNotImport: ['head/', 'electron/main/', 'client/'], why: 'the agent core is plain Node that the tray, the CLI and `up` host' },
  { prefix: 'electron/main/', mayNotImport: ['head/'], why: 'the tray shell talks to the head only through shared/api and client/' },
  { prefix: 'head/cli/', mayNotImport: [], why: 'the CLI may host the agent core and use client/' },
  { prefix: 'head/run/', mayNotImport: ['electron/main/', 'client/'], why: '`distribute run` hosts the agent core, not the tray' },
  { prefix: 'head/', mayNotImport: ['electron/', 'client/'], why: "the head's server side never imports the agent or the tray" },
];

function layerOf(rel: string): Layer | undefined {
  return LAYERS.filter((l) => rel.startsWith(l.prefix)).sort((a, b) => b.prefix.length - a.prefix.length)[0];
}

function sources(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|mjs|js)$/.test(e.name)) out.push(p);
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out;
}

const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;(])import\s*\(\s*['"]([^'"]+)['"]\s*\)|(?:^|[\s;])import\s+['"]([^'"]+)['"]/gm;

/** Relative specifiers a file imports (package imports are eslint's business). */
export function relativeImports(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec?.startsWith('.')) found.push(spec);
  }
  return found;
}

/** The job runner's folder: other source folders reach into it only through its index.ts. */
const RUNNER = 'electron/agent/runner/';

/** Why `rel` (a source file) may not import `target` (both repo-relative), or null when it may. */
function crossing(rel: string, target: string): string | null {
  if (target.startsWith(RUNNER) && !rel.startsWith(RUNNER) && target !== `${RUNNER}index.ts`) {
    return 'the job runner is used only through its documented API, electron/agent/runner/index.ts';
  }
  const layer = layerOf(rel);
  if (!layer) return null;
  return layer.mayNotImport.some((p) => target.startsWith(p)) ? layer.why : null;
}

/** Every import that crosses a layer the wrong way, as `file -> target (why)`. */
function violations(): string[] {
  const bad: string[] = [];
  for (const top of ['shared', 'client', 'head', 'electron']) {
    for (const file of sources(path.join(ROOT, top))) {
      const rel = path.relative(ROOT, file).split(path.sep).join('/');
      for (const spec of relativeImports(fs.readFileSync(file, 'utf8'))) {
        const target = path.relative(ROOT, path.resolve(path.dirname(file), spec)).split(path.sep).join('/');
        const why = crossing(rel, target);
        if (why) bad.push(`${rel} -> ${target} (${why})`);
      }
    }
  }
  return bad;
}

test('imports follow the layers: shared <- client, electron/agent <- electron/main; the head server side imports no electron/ or client/', () => {
  assert.deepEqual(violations(), []);
});

test('the import scanner sees every form of import', () => {
  const text = [
    "import a from '../head/a.ts';",
    "import type { B } from '../head/b.ts';",
    "export { c } from '../head/c.ts';",
    "export * from '../head/d.ts';",
    "const e = await import('../head/e.ts');",
    "import '../head/f.ts';",
    "import {\n  g,\n  h,\n} from '../head/g.ts';",
    "import z from 'zod';",
  ].join('\n');
  assert.deepEqual(relativeImports(text), ['../head/a.ts', '../head/b.ts', '../head/c.ts', '../head/d.ts', '../head/e.ts', '../head/f.ts', '../head/g.ts']);
});

test('the most specific layer decides, and each forbidden direction is caught', () => {
  const table: [string, string, boolean][] = [
    ['shared/api/head-client.ts', 'head/cli/client.ts', false],
    ['shared/job/state.ts', 'electron/agent/agent.ts', false],
    ['client/pull.ts', 'head/archive/safe-path.ts', false],
    ['client/pull.ts', 'shared/names.ts', true],
    ['electron/agent/start-agent.ts', 'electron/main/agent-port.ts', false],
    ['electron/agent/agent.ts', 'head/core/cluster.ts', false],
    ['electron/main/main.ts', 'head/cli/sync-core.ts', false],
    ['electron/main/main.ts', 'electron/agent/start-agent.ts', true],
    ['electron/main/main.ts', 'client/sync.ts', true],
    ['head/core/cluster.ts', 'electron/agent/agent.ts', false],
    ['head/http/app.ts', 'client/pull.ts', false],
    ['head/cli/agent.ts', 'electron/agent/start-agent.ts', true],
    ['head/cli/pull.ts', 'client/pull.ts', true],
    ['head/run/local-run.ts', 'electron/agent/runner/index.ts', true],
    ['head/run/local-run.ts', 'electron/agent/runner/job-process.ts', false],
    ['electron/agent/agent.ts', 'electron/agent/runner/workspace.ts', false],
    ['electron/agent/runner/job-launch.ts', 'electron/agent/runner/job-process.ts', true],
  ];
  for (const [from, to, allowed] of table) assert.equal(crossing(from, to) === null, allowed, `${from} -> ${to}`);
});
