#!/usr/bin/env node
// `npm run build` (also run by npm itself: `prepare` on npm ci/install, `pretest`): compile the
// TypeScript sources of shared/, client/, head/ and electron/ into plain JavaScript under dist/, one .js
// file per .ts file with the same relative layout, so nothing transpiles at run time and
// `import.meta.dirname`-relative paths (dashboard page, settings window) stay valid.
//
// esbuild rather than tsc: a full build takes ~0.1 s against tsc's ~1.5-4 s (type checking is
// `npm run lint`'s job). esbuild only rewrites import paths when it bundles, so every file is its
// own bundle entry whose imports all stay external, with `./x.ts` rewritten to `./x.js`.
//
// Plain JavaScript on purpose: it must run before anything is compiled, and from a clone
// installed with `npm ci --omit=dev` (esbuild is a dependency for that reason).
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = path.resolve(import.meta.dirname, '..');
const OUT = path.join(ROOT, 'dist');
/** Top-level folders that are not application code: tests, scripts run through tsx, data, docs. */
const NOT_SOURCE = new Set(['test', 'bench', 'chaos', 'build', 'bin', 'node_modules', 'dist', 'release', 'python', 'docs', 'examples', 'assets']);
/**
 * Source folders compiled into dist/<folder>: every top-level folder holding TypeScript except
 * those above (shared/, client/, head/, electron/, ...), so a new layer is compiled without
 * touching this file; the import check in main() catches code importing anything not compiled.
 */
export const SOURCE_DIRS = fs.readdirSync(ROOT, { withFileTypes: true })
  .filter((e) => e.isDirectory() && !e.name.startsWith('.') && !NOT_SOURCE.has(e.name))
  .map((e) => e.name)
  .filter((dir) => walk(dir).some((f) => f.endsWith('.ts')))
  .sort();
/** Files copied verbatim next to the compiled code (pages, preload scripts, the renderer). */
const COPIED = /\.(html|css|cjs|js|mjs|json)$/;
/** Written last: its mtime says when the build finished (test/helpers/built.ts compares it). */
export const STAMP = path.join(OUT, '.build-stamp');

/** Every file under `dir` (relative to ROOT), recursively. */
function walk(dir) {
  const out = [];
  for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(rel));
    else out.push(rel);
  }
  return out;
}

/** What the build reads: sources, copied files and the tray's icons (copied to dist/assets). */
export function buildInputs() {
  const sources = SOURCE_DIRS.flatMap(walk).filter((f) => !f.endsWith('.test.ts'));
  const assets = walk('assets').filter((f) => f.endsWith('.png'));
  return { ts: sources.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')), copied: sources.filter((f) => COPIED.test(f)), assets };
}

/**
 * Packages the compiled code imports from one pre-bundled file in dist/vendor/ instead of
 * node_modules: zod is ~150 ES modules (every locale among them) that cost a short command like
 * `distribute status` ~65 ms of CPU to load, against ~17 ms as one minified file without the
 * locales it never uses (bench/startup.ts); yaml is ~80 CommonJS files (each resolved, its
 * folder's package.json read, compiled) that `distribute add` loads to read a config.
 * Only the package's main entry is vendored, and only the names the code imports from it.
 */
const VENDORED = ['zod', 'yaml'];
const vendorFile = (name) => path.join(OUT, 'vendor', `${name}.js`);

/** esbuild plugin: keep every import out of the bundle; relative `.ts` becomes `.js`; vendored packages point into dist/vendor/. */
const externalImports = {
  name: 'external-imports',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      if (VENDORED.includes(args.path)) {
        const outDir = path.join(OUT, path.relative(ROOT, path.dirname(args.importer)));
        return { path: path.relative(outDir, vendorFile(args.path)).split(path.sep).join('/'), external: true };
      }
      const rewritten = /^\.{1,2}\//.test(args.path) ? args.path.replace(/\.ts$/, '.js') : args.path;
      return { path: rewritten, external: true };
    });
  },
};

/**
 * The entry of zod's vendored bundle: a `z` holding only the members the compiled code reads
 * (`z.object`, `z.string`, ...), so esbuild leaves out the rest (codecs, JSON Schema, ISO formats,
 * ...): half the bytes, and `distribute status` loads it in ~7 ms of CPU against ~17 ms for the
 * whole package. The code may only import `{ z }` from zod; anything else stops the build.
 * Names that zod's `z` does not have (`z.infer` in a comment) are skipped: tsc rejects real uses.
 */
async function zodEntry(outputFiles) {
  const { z: all } = await import('zod');
  const used = new Set();
  const bad = [];
  for (const out of outputFiles) {
    const text = out.text;
    const imports = [...text.matchAll(/import\s*([^;]*?)\s*from\s*"[^"]*vendor\/zod\.js"/g)].map((m) => m[1]);
    if (!imports.length) continue;
    // `{ z }`, or `{ z as z2 }` where the CLI's bundle renamed it to keep two modules' `z` apart.
    const locals = imports.map((i) => /^\{\s*z(?:\s+as\s+([A-Za-z_$][\w$]*))?\s*\}$/.exec(i));
    if (locals.some((m) => !m)) bad.push(path.relative(OUT, out.path));
    for (const local of new Set(locals.map((m) => m?.[1] ?? 'z'))) {
      for (const m of text.matchAll(new RegExp(`(?<![\\w$.])${local.replace('$', '\\$')}\\.([A-Za-z_$][\\w$]*)`, 'g'))) if (Object.hasOwn(all, m[1])) used.add(m[1]);
    }
  }
  if (bad.length) throw new Error(`only \`import { z } from 'zod'\` is supported (vendor/zod.js keeps just the members of z the code reads); not in: ${bad.join(', ')}`);
  const names = [...used].sort();
  return `import { ${names.map((n, i) => `${n} as m${i}`).join(', ')} } from 'zod';\n`
    + `export const z = Object.freeze({ ${names.map((n, i) => `${n}: m${i}`).join(', ')} });\n`;
}

/**
 * The entry of a vendored CommonJS package (yaml): re-exports just the names the compiled code
 * imports from it (`import { parseDocument, LineCounter } from 'yaml'`); any other form of import
 * (default, namespace) stops the build, so a name the bundle lacks cannot fail only at run time.
 */
function namedEntry(name, outputFiles) {
  const names = new Set();
  const bad = [];
  const from = new RegExp(`import\\s*([^;]*?)\\s*from\\s*"[^"]*vendor/${name}\\.js"`, 'g');
  for (const out of outputFiles) {
    for (const m of out.text.matchAll(from)) {
      const list = /^\{([^{}]*)\}$/.exec(m[1]);
      if (!list) bad.push(path.relative(OUT, out.path));
      else for (const n of list[1].split(',')) if (n.trim()) names.add(n.trim().split(/\s+as\s+/)[0]);
    }
  }
  if (bad.length) throw new Error(`only named imports (\`import { x } from '${name}'\`) are supported from a vendored package; not in: ${bad.join(', ')}`);
  return `import * as m from '${name}';\nexport const { ${[...names].sort().join(', ')} } = m;\n`;
}

/**
 * The package's licence, as the comment that opens its vendored file: MIT (zod) and ISC (yaml)
 * ask that the copyright and permission notice travel with every copy.
 */
function licenceBanner(name) {
  const dir = path.join(ROOT, 'node_modules', name);
  const { version, license } = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const file = fs.readdirSync(dir).find((f) => /^licen[cs]e(\.(md|txt))?$/i.test(f));
  if (!file) throw new Error(`node_modules/${name} has no LICENSE file to keep in dist/vendor/${name}.js`);
  const text = fs.readFileSync(path.join(dir, file), 'utf8').trim().replaceAll('*/', '* /');
  return `/*! ${name} ${version} (${license}), bundled by build/compile.mjs.\n\n${text}\n*/`;
}

/** dist/vendor/<name>.js: the package bundled into one minified ES module; zod keeps only its English messages. */
async function buildVendored(esbuild, name, outputFiles) {
  const onlyEnglish = {
    name: 'only-english-locale',
    setup(build) {
      build.onResolve({ filter: /\/locales\/index\.js$/ }, (args) => ({ path: path.join(path.resolve(args.resolveDir, args.path), '..', 'en.js'), namespace: 'en-only' }));
      build.onLoad({ filter: /.*/, namespace: 'en-only' }, (args) => ({ contents: `export { default as en } from ${JSON.stringify(args.path)};`, resolveDir: path.dirname(args.path) }));
    },
  };
  const result = await esbuild.build({
    absWorkingDir: ROOT, // metafile paths are relative to this: the build works from any folder
    stdin: { contents: name === 'zod' ? await zodEntry(outputFiles) : namedEntry(name, outputFiles), resolveDir: ROOT, loader: 'js' },
    bundle: true, format: 'esm', platform: 'node', target: 'node20.11', minify: true, keepNames: true, legalComments: 'inline',
    // A CommonJS package's require() of Node built-ins (yaml's `require('process')`) needs a real
    // require in an ES module.
    banner: { js: `${licenceBanner(name)}${name === 'zod' ? '' : '\nimport { createRequire as __vendorRequire } from \'node:module\'; const require = __vendorRequire(import.meta.url);'}` },
    plugins: name === 'zod' ? [onlyEnglish] : [], write: false, logLevel: 'warning',
  });
  return result.errors.length ? null : Buffer.from(result.outputFiles[0].contents);
}

/**
 * dist/head/cli/main.js, the CLI's entry, is one file: main.ts bundled with what it imports and
 * with the files of the commands that run without commander (those exporting `quick`, like
 * `status`), instead of ~25 small modules to resolve and read: ≈ 9 ms of `distribute status`'s
 * start-up (bench/startup.ts). Everything else it imports (program.ts and commander, the other
 * commands) stays the per-file build, imported from the bundle by relative path.
 * A module that keeps state for the whole process stays a per-file module too, so there is one
 * instance of it: stop-signals.ts, whose held signals the agent and the head take over. A bundled
 * module with a module-level `let` or `var` stops the build: add it to SHARED_STATE or drop the state.
 */
const FRONT_DOOR = path.join(ROOT, 'head', 'cli', 'main.ts');
const SHARED_STATE = new Set([path.join(ROOT, 'head', 'cli', 'stop-signals.ts')]);
const exportsQuick = (file) => /^export const quick\b/m.test(fs.readFileSync(file, 'utf8'));

async function buildFrontDoor(esbuild) {
  const outDir = path.join(OUT, 'head', 'cli');
  /** The per-file output of `abs` (a .ts source), as an import path from dist/head/cli/. */
  const perFile = (abs) => {
    const rel = path.relative(outDir, path.join(OUT, path.relative(ROOT, abs))).split(path.sep).join('/').replace(/\.ts$/, '.js');
    return rel.startsWith('.') ? rel : `./${rel}`;
  };
  const plugin = {
    name: 'front-door',
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === 'entry-point') return undefined;
        if (VENDORED.includes(args.path)) return { path: path.relative(outDir, vendorFile(args.path)).split(path.sep).join('/'), external: true };
        if (!/^\.{1,2}\//.test(args.path)) return { path: args.path, external: true };
        const abs = path.resolve(args.resolveDir, args.path);
        if (SHARED_STATE.has(abs)) return { path: perFile(abs), external: true };
        if (args.kind === 'dynamic-import' && !exportsQuick(abs)) return { path: perFile(abs), external: true };
        return undefined;
      });
    },
  };
  const result = await esbuild.build({
    absWorkingDir: ROOT, // metafile paths are relative to this: the build works from any folder
    // Split: the quick commands' code is its own file (main-status-<hash>.js), loaded only when that command runs.
    entryPoints: [FRONT_DOOR], outdir: outDir, entryNames: '[name]', chunkNames: 'main-[name]-[hash]', splitting: true, bundle: true, plugins: [plugin],
    format: 'esm', platform: 'node', target: 'node20.11', logLevel: 'warning', charset: 'utf8', legalComments: 'inline', write: false, metafile: true,
  });
  if (result.errors.length) return null;
  const stateful = Object.keys(result.metafile.inputs).filter((f) => /^(let|var) /m.test(fs.readFileSync(path.join(ROOT, f), 'utf8')));
  if (stateful.length) throw new Error(`main.js would bundle a copy of module-level state from ${stateful.join(', ')}: add it to SHARED_STATE in build/compile.mjs (or keep no state there)`);
  return result;
}

/** Newest modification time (ms) of anything the build reads, this script included. */
function newestInput() {
  const { ts, copied, assets } = buildInputs();
  let newest = fs.statSync(import.meta.filename).mtimeMs;
  for (const f of [...ts, ...copied, ...assets]) newest = Math.max(newest, fs.statSync(path.join(ROOT, f)).mtimeMs);
  for (const name of VENDORED) newest = Math.max(newest, fs.statSync(path.join(ROOT, 'node_modules', name, 'package.json')).mtimeMs);
  return newest;
}

/** True when dist/ is missing or older than a source (test helpers rebuild on their own then). */
export function isStale() {
  try {
    return fs.statSync(STAMP).mtimeMs < newestInput();
  } catch {
    return true;
  }
}

/**
 * Write `data` to `file` unless it already holds exactly that; through a temporary file and a
 * rename, so a head or test running from dist/ while it rebuilds never reads a half-written file.
 */
function writeIfChanged(file, data) {
  try {
    if (fs.readFileSync(file).equals(data)) return;
  } catch { /* new file */ }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

async function main() {
  const quiet = process.argv.includes('--quiet');
  if (process.argv.includes('--if-stale') && !isStale()) return 0;
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    if (fs.existsSync(STAMP)) return 0; // an installed package: dist/ came with it
    process.stderr.write('distribute build: esbuild is not installed and dist/ is missing; run `npm ci` in the repository\n');
    return 1;
  }
  const started = performance.now();
  const { ts, copied, assets } = buildInputs();
  const result = await esbuild.build({
    absWorkingDir: ROOT, // metafile paths are relative to this: the build works from any folder
    entryPoints: ts.map((f) => path.join(ROOT, f)),
    outdir: OUT,
    outbase: ROOT,
    bundle: true,
    plugins: [externalImports],
    format: 'esm',
    platform: 'node',
    target: 'node20.11',
    logLevel: 'warning',
    charset: 'utf8',
    legalComments: 'inline',
    write: false,
    metafile: true,
  });
  if (result.errors.length) return 1;
  let frontDoor;
  try {
    frontDoor = await buildFrontDoor(esbuild);
  } catch (err) {
    process.stderr.write(`distribute build: ${err.message}\n`);
    return 1;
  }
  if (!frontDoor) return 1;
  // The bundle replaces main.ts's own per-file output; its chunks come beside it.
  const bundled = new Map(frontDoor.outputFiles.map((o) => [o.path, o]));
  result.outputFiles = [...result.outputFiles.map((o) => bundled.get(o.path) ?? o), ...frontDoor.outputFiles.filter((o) => !result.outputFiles.some((r) => r.path === o.path))];
  Object.assign(result.metafile.outputs, frontDoor.metafile.outputs);
  // Every relative import of the compiled code must land on a compiled file: a source importing
  // from a folder that is not compiled (test/, bench/) would otherwise fail only at run time.
  const outputs = new Set(result.outputFiles.map((o) => o.path));
  for (const name of VENDORED) {
    let code;
    try {
      code = await buildVendored(esbuild, name, result.outputFiles);
    } catch (err) {
      process.stderr.write(`distribute build: ${err.message}\n`);
      return 1;
    }
    if (!code) return 1;
    writeIfChanged(vendorFile(name), code);
    outputs.add(vendorFile(name));
  }
  const broken = [];
  for (const [out, meta] of Object.entries(result.metafile.outputs)) {
    for (const imp of meta.imports) {
      if (!imp.external || !/^\.{1,2}\//.test(imp.path) || !imp.path.endsWith('.js')) continue;
      if (!outputs.has(path.resolve(ROOT, path.dirname(out), imp.path))) {
        broken.push(`${path.relative(OUT, path.resolve(ROOT, out)).replace(/\.js$/, '.ts')} imports ${imp.path.replace(/\.js$/, '.ts')}, which is not compiled (compiled: ${SOURCE_DIRS.join(', ')})`);
      }
    }
  }
  if (broken.length) {
    process.stderr.write(`distribute build: ${broken.join('\n  ')}\n`);
    return 1;
  }
  const expected = new Set([STAMP, ...VENDORED.map(vendorFile)]);
  for (const out of result.outputFiles) {
    writeIfChanged(out.path, Buffer.from(out.contents));
    expected.add(out.path);
  }
  for (const f of [...copied, ...assets]) {
    const to = path.join(OUT, f);
    writeIfChanged(to, fs.readFileSync(path.join(ROOT, f)));
    expected.add(to);
  }
  // A renamed or deleted source must not leave its old output behind to be imported by mistake.
  for (const dir of [...SOURCE_DIRS, 'assets']) {
    if (!fs.existsSync(path.join(OUT, dir))) continue;
    for (const f of walk(path.join('dist', dir))) {
      if (!expected.has(path.join(ROOT, f))) fs.rmSync(path.join(ROOT, f));
    }
  }
  fs.writeFileSync(STAMP, `${new Date().toISOString()}\n`);
  if (!quiet) process.stdout.write(`distribute build: ${ts.length} files into dist/ in ${Math.round(performance.now() - started)} ms\n`);
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = await main();
