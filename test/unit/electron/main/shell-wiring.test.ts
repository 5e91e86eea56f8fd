import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { IpcChannel } from '../../../../electron/main/ipc-contract.ts';
import { autostartDesktopEntry, autostartFilePath, launchCommand, quoteExecArg, setLinuxAutostart } from '../../../../electron/main/login-item.ts';
import { panelTheme } from '../../../../electron/main/icon-paths.ts';
import { ROOT } from '../../../helpers/built.ts';

const MAIN = path.join(ROOT, 'electron/main');

test('the settings preload uses exactly the channels of ipc-contract.ts', async () => {
  const preload = await readFile(path.join(MAIN, 'settings-preload.cjs'), 'utf8');
  const used = [...preload.matchAll(/'(settings:[a-z]+)'/g)].map((m) => m[1]).sort();
  assert.deepEqual(used, Object.values(IpcChannel).sort());
});

test('settings.html has a field and an error slot for what the renderer reads', async () => {
  const html = await readFile(path.join(MAIN, 'settings.html'), 'utf8');
  const renderer = await readFile(path.join(MAIN, 'settings-renderer.js'), 'utf8');
  assert.match(html, /<script src="settings-renderer.js"><\/script>/);
  const names = new Set([...html.matchAll(/name="([^"]+)"/g)].map((m) => m[1]));
  const read = [...renderer.matchAll(/(?:field|text)\('([^']+)'\)/g)].map((m) => m[1]);
  assert.ok(read.length >= 9, `renderer reads ${read.length} fields`);
  for (const name of [...read, 'name', 'user', 'workdir', 'resultsDir']) assert.ok(names.has(name), `settings.html lacks a field named ${name}`);
  for (const name of ['headUrl', 'token', 'workdir', 'resultsDir', 'autoPause.activeWithinMinutes']) {
    assert.match(html, new RegExp(`data-error="${name.replace('.', '\\.')}"`), `error slot for ${name}`);
  }
});

test('the compiled Electron entry loads the whole shell (stops only at the electron import)', () => {
  // Under plain Node `electron` is the npm package (a path string), so linking main.js fails on
  // its named imports; any other failure (a file missing from dist/, a syntax error) shows up instead.
  const run = spawnSync(process.execPath, [path.join(ROOT, 'dist/electron/main/entry.js')], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 1);
  assert.match(run.stderr, /The requested module 'electron' does not provide an export named|Named export '\w+' not found. The requested module 'electron'/);
});

test('login item: autostart entry for Linux', async () => {
  assert.equal(launchCommand({ APPIMAGE: '/home/u/Apps/distribute.AppImage' }, '/tmp/.mount_x/distribute'), '/home/u/Apps/distribute.AppImage');
  assert.equal(launchCommand({}, '/opt/distribute/distribute'), '/opt/distribute/distribute');
  assert.equal(quoteExecArg('/opt/distribute/distribute'), '/opt/distribute/distribute');
  assert.equal(quoteExecArg('/home/u/My Apps/d"$x'), '"/home/u/My Apps/d\\"\\$x"');
  assert.match(autostartDesktopEntry('/home/u/My Apps/distribute.AppImage'), /^Exec="\/home\/u\/My Apps\/distribute.AppImage"$/m);
  assert.equal(autostartFilePath({}, '/home/u'), '/home/u/.config/autostart/distribute.desktop');
  assert.equal(autostartFilePath({ XDG_CONFIG_HOME: '/cfg' }, '/home/u'), '/cfg/autostart/distribute.desktop');
  assert.equal(autostartFilePath({ XDG_CONFIG_HOME: 'relative' }, '/home/u'), '/home/u/.config/autostart/distribute.desktop');

  const dir = await mkdtemp(path.join(os.tmpdir(), 'autostart-'));
  try {
    const file = path.join(dir, 'autostart', 'distribute.desktop');
    assert.deepEqual(await setLinuxAutostart(true, file, autostartDesktopEntry('/x')), { ok: true });
    assert.match(await readFile(file, 'utf8'), /^\[Desktop Entry\]\n/);
    assert.deepEqual(await setLinuxAutostart(false, file, ''), { ok: true });
    await assert.rejects(readFile(file));
    assert.deepEqual(await setLinuxAutostart(false, file, ''), { ok: true }, 'removing twice is fine');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('panel theme: setting wins, auto follows the desktop', () => {
  assert.equal(panelTheme('auto', true), 'dark');
  assert.equal(panelTheme('auto', false), 'light');
  assert.equal(panelTheme('light', true), 'light');
  assert.equal(panelTheme('dark', false), 'dark');
});
