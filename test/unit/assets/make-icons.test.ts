import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { appIconPath, PANEL_THEMES, TRAY_ICON_SIZE, TRAY_STATES, trayIconPath } from '../../../electron/main/icon-paths.ts';
import { allIcons } from '../../../assets/make-icons.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const ASSETS = path.join(ROOT, 'assets');

// An independent reader (not the encoder under test): checks signature, chunk CRCs, IHDR, and
// that the image data inflates to exactly one filter byte plus one RGBA row per line.
function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function readPng(file: string): { width: number; height: number; pixels: Uint8Array } {
  const buf = readFileSync(file);
  assert.deepEqual([...buf.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${file}: PNG signature`);
  let offset = 8;
  let width = 0, height = 0;
  const idat: Buffer[] = [];
  const types: string[] = [];
  while (offset < buf.length) {
    const length = buf.readUInt32BE(offset);
    const type = buf.toString('ascii', offset + 4, offset + 8);
    const data = buf.subarray(offset + 8, offset + 8 + length);
    assert.equal(buf.readUInt32BE(offset + 8 + length), crc32(buf.subarray(offset + 4, offset + 8 + length)), `${file}: CRC of ${type}`);
    types.push(type);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.deepEqual([...data.subarray(8)], [8, 6, 0, 0, 0], `${file}: 8-bit RGBA, not interlaced`);
    }
    if (type === 'IDAT') idat.push(data);
    offset += 12 + length;
  }
  assert.equal(types[0], 'IHDR');
  assert.equal(types.at(-1), 'IEND');
  const raw = inflateSync(Buffer.concat(idat));
  assert.equal(raw.length, height * (width * 4 + 1), `${file}: image data size`);
  const pixels = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    assert.equal(raw[y * (width * 4 + 1)], 0, 'filter None');
    pixels.set(raw.subarray(y * (width * 4 + 1) + 1, (y + 1) * (width * 4 + 1)), y * width * 4);
  }
  return { width, height, pixels };
}

function alphaStats(pixels: Uint8Array): { opaque: number; clear: number } {
  let opaque = 0, clear = 0;
  for (let i = 3; i < pixels.length; i += 4) {
    if (pixels[i] === 255) opaque++;
    if (pixels[i] === 0) clear++;
  }
  return { opaque, clear };
}

for (const state of TRAY_STATES) {
  for (const theme of PANEL_THEMES) {
    test(`tray icon ${state}-${theme}: valid PNG at 1x and 2x, a glyph on a transparent ground`, () => {
      const file = trayIconPath(ASSETS, state, theme);
      for (const [f, size] of [[file, TRAY_ICON_SIZE], [file.replace(/\.png$/, '@2x.png'), TRAY_ICON_SIZE * 2]] as const) {
        const png = readPng(f);
        assert.equal(png.width, size);
        assert.equal(png.height, size);
        const { opaque, clear } = alphaStats(png.pixels);
        assert.ok(opaque > size, `${f}: has a visible glyph`);
        assert.ok(clear > size, `${f}: has transparent background`);
      }
    });
  }
}

test('light and dark variants differ (they are drawn for different panels)', () => {
  for (const state of TRAY_STATES) {
    assert.notDeepEqual(readFileSync(trayIconPath(ASSETS, state, 'light')), readFileSync(trayIconPath(ASSETS, state, 'dark')), state);
  }
});

test('app icon is a 512x512 PNG', () => {
  const png = readPng(appIconPath(ASSETS));
  assert.equal(png.width, 512);
  assert.equal(png.height, 512);
});

test('committed icons are exactly what assets/make-icons.ts draws', () => {
  for (const { file, png } of allIcons()) {
    assert.ok(readFileSync(path.join(ROOT, file)).equals(png), `${file} is stale: run node --import tsx assets/make-icons.ts`);
    readPng(path.join(ROOT, file));
  }
});
