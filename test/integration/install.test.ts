/**
 * distribute as an installed package: the `npm pack` tarball, unpacked next to production
 * dependencies only (no tsx, typescript or electron), runs a real head, agent and job from another
 * folder; `npm install -g --prefix P .` puts a working `distribute` in P/bin. Offline: the
 * production packages are copied from this checkout's node_modules as package-lock.json lists them.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { ROOT } from '../helpers/built.ts';
import { tempDir, waitFor } from '../helpers/cluster.ts';
import { writeShellBatch } from '../helpers/shell-batch.ts';

const tmp = tempDir('install');
const children: ReturnType<typeof spawn>[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
});

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const DEV_ONLY = Object.keys(pkg.devDependencies).filter((name) => !(name in pkg.dependencies));

/** Copies every installed package that package-lock.json does not mark dev-only into `dir`/node_modules. */
function installProductionDeps(dir: string): void {
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));
  const modules = path.join(ROOT, 'node_modules');
  for (const [key, entry] of Object.entries(lock.packages as Record<string, { dev?: boolean; link?: boolean }>)) {
    // Top-level packages only: nested node_modules come along inside their parent's folder.
    if (!key.startsWith('node_modules/') || entry.dev || key.slice('node_modules/'.length).includes('node_modules/')) continue;
    const name = key.slice('node_modules/'.length);
    const from = path.join(modules, name);
    if (!fs.existsSync(from)) continue; // an optional package for another platform
    fs.cpSync(fs.realpathSync(from), path.join(dir, 'node_modules', name), { recursive: true, dereference: true });
  }
}

/** A CLI run of the installed command from `cwd`, with nothing of this checkout's environment. */
function run(bin: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', timeout: 120_000, env: { PATH: process.env.PATH ?? '', HOME: tmp, ...env } });
}

test('the packed tarball runs head, agent and a job with production dependencies only', async () => {
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], { cwd: ROOT, encoding: 'utf8' }));
  const files: string[] = packed[0].files.map((f: { path: string }) => f.path);
  assert.ok(files.includes('dist/head/cli/main.js') && files.includes('bin/distribute.js'), 'the tarball holds the compiled CLI');
  assert.ok(!files.some((f) => f.endsWith('.ts') || f.startsWith('test/')), 'and no TypeScript or tests');

  const app = path.join(tmp, 'app');
  fs.mkdirSync(app);
  execFileSync('tar', ['xzf', path.join(tmp, packed[0].filename), '-C', app, '--strip-components=1']);
  installProductionDeps(app);
  for (const name of DEV_ONLY) assert.equal(fs.existsSync(path.join(app, 'node_modules', name)), false, `${name} is not installed`);
  const bin = path.join(app, 'bin', 'distribute.js');
  const elsewhere = tempDir('install-cwd');
  const version = run(bin, ['--version'], elsewhere);
  assert.equal(version.status, 0, version.stderr);
  assert.equal(version.stdout.trim(), pkg.version);

  const data = path.join(tmp, 'head');
  const head = spawn(process.execPath, [bin, 'server', '--data', data, '--port', '0'], { cwd: elsewhere, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(head);
  let headOut = '';
  head.stderr.on('data', (d) => { headOut += d; });
  const url = await waitFor(() => /listening on (http:\/\/\S+)/.exec(headOut)?.[1], 30_000, () => `head did not start:\n${headOut}`);
  const agent = spawn(process.execPath, [bin, 'agent', '--head', url, '--token-file', path.join(data, 'agent-token'), '--workdir', path.join(tmp, 'agent'), '--name', 'installed', '--control-port', '0'],
    { cwd: elsewhere, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(agent);
  let agentOut = '';
  agent.stderr.on('data', (d) => { agentOut += d; });

  const config = writeShellBatch(elsewhere, { name: 'installed', jobs: [{ name: 'hello', command: 'echo hello from the package > distribute_save/out.txt' }] });
  const env = { DISTRIBUTE_HEAD: url, DISTRIBUTE_DATA: data };
  await waitFor(() => JSON.parse(run(bin, ['nodes', '--json'], elsewhere, env).stdout || '[]').length === 1, 30_000, () => `agent did not join:\n${agentOut}`);
  const add = run(bin, ['add', config], elsewhere, env);
  assert.equal(add.status, 0, add.stderr);
  const wait = run(bin, ['wait', 'ft/installed'], elsewhere, env);
  assert.equal(wait.status, 0, `${wait.stdout}${wait.stderr}\n${agentOut}`);
  const pull = run(bin, ['pull', '--batch', 'ft/installed', '--out', 'results'], elsewhere, env);
  assert.equal(pull.status, 0, pull.stderr);
  const out = fs.readFileSync(path.join(elsewhere, 'results', 'ft', 'installed', 'hello', 'out.txt'), 'utf8');
  assert.equal(out, 'hello from the package\n');
  agent.kill('SIGTERM');
  head.kill('SIGTERM');
});

test('npm install -g --prefix P . gives a distribute command that works from any folder', () => {
  const prefix = path.join(tmp, 'prefix');
  execFileSync('npm', ['install', '-g', '--prefix', prefix, '--ignore-scripts', '--no-audit', '--no-fund', '--offline', ROOT], { cwd: tmp, stdio: 'ignore' });
  const r = spawnSync(path.join(prefix, 'bin', 'distribute'), ['template', 'shell'], { cwd: tempDir('install-any'), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /shell:/);
});

test('compiled code outside the tray shell imports only node built-ins and production dependencies', async () => {
  const { builtinModules } = await import('node:module');
  const builtins = new Set(builtinModules);
  const bad: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.js') && !p.includes(`${path.sep}electron${path.sep}main${path.sep}`)) {
        const text = fs.readFileSync(p, 'utf8');
        for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*["']([^"'.][^"']*)["']|\bimport\(\s*["']([^"'.][^"']*)["']\s*\)/g)) {
          const spec = m[1] ?? m[2];
          // An absolute specifier is a path or, in the dashboard's browser modules, a URL the head serves: no package.
          if (spec.startsWith('node:') || builtins.has(spec) || spec.startsWith('/')) continue;
          const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
          if (!(name in pkg.dependencies)) bad.push(`${path.relative(ROOT, p)} imports ${spec}`);
        }
      }
    }
  };
  walk(path.join(ROOT, 'dist'));
  assert.deepEqual(bad, []);
});
