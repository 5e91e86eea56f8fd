/**
 * electron-builder cannot run here (it downloads Electron and its packaging tools), so this checks
 * what it would pack, after `npm run build`: every path electron-builder.yml names exists, the
 * entry is package.json's main, and everything the entry loads (its import graph, pages, preload,
 * icons) lies inside the packed file set, with asar on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ROOT } from '../../helpers/built.ts';
import { PANEL_THEMES, TRAY_STATES, appIconPath, trayIconPath } from '../../../electron/main/icon-paths.ts';

const config = parse(fs.readFileSync(path.join(ROOT, 'electron-builder.yml'), 'utf8'));
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

/** electron-builder's file patterns as regular expressions (`**` any depth, `*` within one name). */
function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (glob.startsWith('**/', i)) { re += '(?:.*/)?'; i += 2; }
    else if (glob.startsWith('**', i)) { re += '.*'; i += 1; }
    else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

const patterns: string[] = config.files;
const included = patterns.filter((p) => !p.startsWith('!')).map(globToRegExp);
const excluded = patterns.filter((p) => p.startsWith('!')).map((p) => globToRegExp(p.slice(1)));
/** Would electron-builder pack this file (path relative to the project)? */
function packed(rel: string): boolean {
  return included.some((r) => r.test(rel)) && !excluded.some((r) => r.test(rel));
}

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)));
}

test('asar is on and the entry is package.json main, compiled', () => {
  assert.equal(config.asar, true);
  assert.equal(config.extraMetadata.main, pkg.main);
  assert.ok(fs.existsSync(path.join(ROOT, pkg.main)), `${pkg.main} exists after the build`);
  assert.ok(packed(pkg.main), `${pkg.main} is packed`);
});

test('every path the config names exists', () => {
  assert.ok(fs.statSync(path.join(ROOT, config.directories.buildResources)).isDirectory());
  const icons = path.join(ROOT, config.linux.icon);
  assert.ok(fs.readdirSync(icons).some((f) => /^\d+x\d+\.png$/.test(f)), `${config.linux.icon} holds <n>x<n>.png icons`);
  assert.ok(!config.directories.output.startsWith('dist'), 'the output folder is not the compiled code it packs');
  for (const pattern of patterns.filter((p) => !p.startsWith('!'))) {
    if (!pattern.includes('*')) {
      assert.ok(fs.existsSync(path.join(ROOT, pattern)), `${pattern} exists`);
      continue;
    }
    const base = pattern.split('/').filter((_, i, parts) => !parts.slice(0, i + 1).some((s) => s.includes('*'))).join('/');
    const matches = filesUnder(path.join(ROOT, base)).filter((f) => globToRegExp(pattern).test(f));
    assert.ok(matches.length > 0, `'${pattern}' matches files after the build`);
  }
});

test('everything the tray loads is packed: its import graph, the settings window and the icons', () => {
  const seen = new Set<string>();
  const bare = new Set<string>();
  const visit = (rel: string) => {
    if (seen.has(rel)) return;
    seen.add(rel);
    const text = fs.readFileSync(path.join(ROOT, rel), 'utf8');
    for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["']([^"']+)["']/g)) {
      const spec = m[1];
      if (spec.startsWith('.')) {
        const target = path.relative(ROOT, path.resolve(path.dirname(path.join(ROOT, rel)), spec));
        assert.ok(fs.existsSync(path.join(ROOT, target)), `${rel} imports ${spec}, which is missing`);
        visit(target);
      } else if (!spec.startsWith('node:')) {
        bare.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
      }
    }
  };
  visit(pkg.main);
  assert.ok(seen.size > 20, `the graph reaches the shell and the agent core (${seen.size} files)`);
  for (const file of seen) assert.ok(packed(file), `${file} is loaded by the tray but not packed`);
  for (const name of bare) assert.ok(name === 'electron' || name in pkg.dependencies, `${name} is imported but not a production dependency`);
  const main = path.dirname(pkg.main);
  for (const file of ['settings.html', 'settings-preload.cjs', 'settings-renderer.js']) {
    assert.ok(fs.existsSync(path.join(ROOT, main, file)) && packed(path.join(main, file)), `${main}/${file} is built and packed`);
  }
  const assets = path.join(main, '../../assets');
  for (const file of [appIconPath(assets), ...TRAY_STATES.flatMap((s) => PANEL_THEMES.map((t) => trayIconPath(assets, s, t)))]) {
    assert.ok(fs.existsSync(path.join(ROOT, file)) && packed(file), `${file} is built and packed`);
  }
});

test('without the Electron binary, npm run tray / dist:tray say what is missing and how to get it', async () => {
  const { spawnSync } = await import('node:child_process');
  const os = await import('node:os');
  const fake = fs.mkdtempSync(path.join(os.tmpdir(), 'distribute-tray-'));
  try {
    const check = (root: string) => spawnSync(process.execPath, ['--input-type=module', '-e',
      `const m = await import(${JSON.stringify(path.join(ROOT, 'build', 'tray.mjs'))}); process.exit(m.electronBinary(${JSON.stringify(root)}) ? 0 : 1);`], { encoding: 'utf8' });
    const none = check(fake);
    assert.equal(none.status, 1);
    assert.match(none.stderr, /the electron package is not installed .*run `npm ci` without --omit=dev/);
    fs.mkdirSync(path.join(fake, 'node_modules', 'electron'), { recursive: true });
    fs.writeFileSync(path.join(fake, 'node_modules', 'electron', 'package.json'), JSON.stringify({ name: 'electron', version: '38.8.6' }));
    const noBinary = check(fake);
    assert.equal(noBinary.status, 1);
    assert.match(noBinary.stderr, /the Electron 38\.8\.6 binary is not installed: npm ci skips its download.*\nGet it once with `npm run electron:install`/);
    fs.writeFileSync(path.join(fake, 'node_modules', 'electron', 'path.txt'), 'electron');
    fs.mkdirSync(path.join(fake, 'node_modules', 'electron', 'dist'));
    fs.writeFileSync(path.join(fake, 'node_modules', 'electron', 'dist', 'electron'), '');
    const present = check(fake);
    assert.equal(present.status, 0, present.stderr);
    assert.equal(present.stderr, '');
  } finally {
    fs.rmSync(fake, { recursive: true, force: true });
  }
});
