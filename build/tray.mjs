#!/usr/bin/env node
// `npm run tray` (launch the tray app from this checkout) and `npm run dist:tray` (package it with
// electron-builder: AppImage and deb into release/). Both build dist/ first and need the Electron
// binary, which `npm ci` does not download (package.json "allowScripts" denies electron's
// postinstall, so installs work offline and on head servers): without it they say so and how to
// get it, instead of Electron's "failed to install correctly" stack.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = path.resolve(import.meta.dirname, '..');
const require = createRequire(path.join(ROOT, 'package.json'));
const packaging = process.argv.includes('--package');
const what = packaging ? 'npm run dist:tray' : 'npm run tray';

/** The Electron executable, or null after explaining on stderr what is missing and what to run. */
export function electronBinary(root = ROOT) {
  const pkgDir = path.join(root, 'node_modules', 'electron');
  if (!fs.existsSync(path.join(pkgDir, 'package.json'))) {
    process.stderr.write(`${what}: the electron package is not installed (it is a devDependency): run \`npm ci\` without --omit=dev\n`);
    return null;
  }
  const pathFile = path.join(pkgDir, 'path.txt');
  const exe = fs.existsSync(pathFile) ? path.join(pkgDir, 'dist', fs.readFileSync(pathFile, 'utf8').trim()) : null;
  if (!exe || !fs.existsSync(exe)) {
    const version = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).version;
    process.stderr.write(`${what}: the Electron ${version} binary is not installed: npm ci skips its download (package.json allowScripts).\n`
      + 'Get it once with `npm run electron:install` (downloads from github.com; set ELECTRON_MIRROR to use a mirror), then run this again.\n');
    return null;
  }
  return exe;
}

function main() {
  const build = spawnSync(process.execPath, [path.join(ROOT, 'build', 'compile.mjs'), '--quiet'], { stdio: 'inherit' });
  if (build.status !== 0) return 1;
  const exe = electronBinary();
  if (!exe) return 1;
  if (!packaging) {
    const child = spawn(exe, [ROOT, ...process.argv.slice(2)], { stdio: 'inherit' });
    for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
    child.on('exit', (code, signal) => { process.exitCode = code ?? (signal ? 1 : 0); });
    return undefined;
  }
  // Pack the Electron that is already here instead of letting electron-builder download it again.
  let builder;
  try {
    builder = require.resolve('electron-builder/cli.js');
  } catch {
    process.stderr.write(`${what}: electron-builder is not installed (a devDependency): run \`npm ci\` without --omit=dev\n`);
    return 1;
  }
  const args = [builder, '--linux', `--config.electronDist=${path.dirname(exe)}`, ...process.argv.slice(2).filter((a) => a !== '--package')];
  const r = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: ROOT });
  if (r.status !== 0) {
    process.stderr.write(`${what}: electron-builder failed (it downloads its AppImage and deb tools from github.com on first use)\n`);
    return 1;
  }
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const code = main();
  if (code !== undefined) process.exitCode = code;
}
