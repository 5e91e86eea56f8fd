/**
 * Draws the tray icons (every state x panel theme, 1x and @2x) and the application icon, and
 * writes them as PNG. No image library: shapes are point-in-shape tests, anti-aliased by 4x4
 * supersampling, and the PNG encoder is the few lines below on top of node's zlib.
 *
 * Run: node --import tsx assets/make-icons.ts   (writes assets/tray/, assets/icon.png, build/icons/)
 * Output is deterministic; a unit test re-renders and compares with the committed files.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { deflateSync } from 'node:zlib';
import { appIconPath, PANEL_THEMES, TRAY_ICON_SIZE, TRAY_STATES, trayIconPath, type PanelTheme } from '../electron/main/icon-paths.ts';
import type { TrayState } from '../electron/main/menu-model.ts';

// ---- PNG encoding ------------------------------------------------------------------------------

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 as PNG chunks use it (ISO 3309). */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** Encode straight-alpha RGBA pixels (row-major, 4 bytes each) as an 8-bit RGBA PNG. */
export function encodePng(width: number, height: number, rgba: Uint8Array): Buffer {
  if (rgba.length !== width * height * 4) throw new Error(`expected ${width * height * 4} bytes, got ${rgba.length}`);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type RGBA
  // compression, filter method, interlace: all 0
  const stride = width * 4;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0; // filter type None: the images are tiny, simplicity wins
    raw.set(rgba.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', new Uint8Array(0))]);
}

// ---- drawing -----------------------------------------------------------------------------------

/** A shape in unit coordinates: (0,0) top left, (1,1) bottom right. */
type Shape = (x: number, y: number) => boolean;
type Rgba = [number, number, number, number];
interface Layer { shape: Shape; color: Rgba }

const disk = (cx: number, cy: number, r: number): Shape => (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
const ring = (cx: number, cy: number, outer: number, inner: number): Shape => (x, y) => {
  const d = (x - cx) ** 2 + (y - cy) ** 2;
  return d <= outer * outer && d >= inner * inner;
};
const rect = (x0: number, y0: number, x1: number, y1: number): Shape => (x, y) => x >= x0 && x <= x1 && y >= y0 && y <= y1;
/** A thick line segment with round ends. */
const segment = (ax: number, ay: number, bx: number, by: number, halfWidth: number): Shape => (x, y) => {
  const dx = bx - ax, dy = by - ay;
  const t = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)));
  return (x - ax - t * dx) ** 2 + (y - ay - t * dy) ** 2 <= halfWidth * halfWidth;
};
/** Convex polygon, vertices clockwise in screen coordinates. */
const polygon = (points: [number, number][]): Shape => (x, y) =>
  points.every(([ax, ay], i) => {
    const [bx, by] = points[(i + 1) % points.length];
    return (bx - ax) * (y - ay) - (by - ay) * (x - ax) >= 0;
  });
const roundedRect = (x0: number, y0: number, x1: number, y1: number, r: number): Shape => (x, y) => {
  const cx = Math.max(x0 + r, Math.min(x1 - r, x));
  const cy = Math.max(y0 + r, Math.min(y1 - r, y));
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r && x >= x0 && x <= x1 && y >= y0 && y <= y1;
};
const minus = (a: Shape, b: Shape): Shape => (x, y) => a(x, y) && !b(x, y);

const SUPERSAMPLE = 4;

/** Rasterize layers bottom to top into straight-alpha RGBA. */
export function rasterize(size: number, layers: Layer[]): Uint8Array {
  const out = new Uint8Array(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      // Premultiplied accumulation, source-over.
      let r = 0, g = 0, b = 0, a = 0;
      for (const { shape, color } of layers) {
        let hits = 0;
        for (let sy = 0; sy < SUPERSAMPLE; sy++) {
          for (let sx = 0; sx < SUPERSAMPLE; sx++) {
            if (shape((px + (sx + 0.5) / SUPERSAMPLE) / size, (py + (sy + 0.5) / SUPERSAMPLE) / size)) hits++;
          }
        }
        if (hits === 0) continue;
        const alpha = (color[3] / 255) * (hits / (SUPERSAMPLE * SUPERSAMPLE));
        r = color[0] * alpha + r * (1 - alpha);
        g = color[1] * alpha + g * (1 - alpha);
        b = color[2] * alpha + b * (1 - alpha);
        a = alpha + a * (1 - alpha);
      }
      const i = (py * size + px) * 4;
      if (a > 0) {
        out[i] = Math.round(r / a);
        out[i + 1] = Math.round(g / a);
        out[i + 2] = Math.round(b / a);
        out[i + 3] = Math.round(a * 255);
      }
    }
  }
  return out;
}

// ---- the icons ---------------------------------------------------------------------------------

/** Glyph colour per panel: dark on a light panel, light on a dark panel. */
const FOREGROUND: Record<PanelTheme, Rgba> = { light: [40, 40, 40, 255], dark: [236, 236, 236, 255] };
const GREEN: Rgba = [46, 160, 80, 255];
const AMBER: Rgba = [232, 163, 23, 255];
const WHITE: Rgba = [255, 255, 255, 255];
const INK: Rgba = [40, 40, 40, 255];

/**
 * idle: an empty ring (ready, nothing to do); running: a green disk with a play mark; paused: an
 * amber disk with two bars; offline: a faded ring struck through. Running and paused keep their
 * colour on both panels and get a rim in the panel's glyph colour so they stand out on either.
 */
export function trayLayers(state: TrayState, theme: PanelTheme): Layer[] {
  const fg = FOREGROUND[theme];
  const c = 0.5;
  switch (state) {
    case 'idle':
      return [{ shape: ring(c, c, 0.42, 0.29), color: fg }];
    case 'running':
      return [
        { shape: disk(c, c, 0.44), color: fg },
        { shape: disk(c, c, 0.37), color: GREEN },
        { shape: polygon([[0.4, 0.3], [0.7, 0.5], [0.4, 0.7]]), color: WHITE },
      ];
    case 'paused':
      return [
        { shape: disk(c, c, 0.44), color: fg },
        { shape: disk(c, c, 0.37), color: AMBER },
        { shape: rect(0.36, 0.3, 0.45, 0.7), color: INK },
        { shape: rect(0.55, 0.3, 0.64, 0.7), color: INK },
      ];
    case 'offline': {
      const slash = segment(0.2, 0.8, 0.8, 0.2, 0.06);
      const faded: Rgba = [fg[0], fg[1], fg[2], 130];
      return [
        { shape: minus(ring(c, c, 0.42, 0.29), segment(0.2, 0.8, 0.8, 0.2, 0.13)), color: faded },
        { shape: slash, color: fg },
      ];
    }
  }
}

/** A blue tile with a hub and four nodes: work spread from one place to many machines. */
export function appIconLayers(): Layer[] {
  const hub: [number, number] = [0.5, 0.5];
  const nodes: [number, number][] = [[0.25, 0.25], [0.75, 0.25], [0.25, 0.75], [0.75, 0.75]];
  return [
    { shape: roundedRect(0.04, 0.04, 0.96, 0.96, 0.18), color: [31, 95, 168, 255] },
    ...nodes.map(([x, y]): Layer => ({ shape: segment(hub[0], hub[1], x, y, 0.025), color: [200, 220, 245, 255] })),
    ...nodes.map(([x, y]): Layer => ({ shape: disk(x, y, 0.085), color: [236, 244, 252, 255] })),
    ...nodes.map(([x, y]): Layer => ({ shape: disk(x, y, 0.045), color: GREEN })),
    { shape: disk(hub[0], hub[1], 0.15), color: WHITE },
    { shape: disk(hub[0], hub[1], 0.09), color: [31, 95, 168, 255] },
  ];
}

export function renderTrayIcon(state: TrayState, theme: PanelTheme, scale: 1 | 2): Buffer {
  const size = TRAY_ICON_SIZE * scale;
  return encodePng(size, size, rasterize(size, trayLayers(state, theme)));
}

export function renderAppIcon(size: number): Buffer {
  return encodePng(size, size, rasterize(size, appIconLayers()));
}

/** Sizes electron-builder puts into the Linux icon theme (build/icons/<n>x<n>.png). */
export const LINUX_ICON_SIZES = [16, 32, 48, 64, 128, 256, 512];

/** Every file this script writes, relative to the repository root, with its bytes. */
export function allIcons(): { file: string; png: Buffer }[] {
  const files: { file: string; png: Buffer }[] = [];
  for (const state of TRAY_STATES) {
    for (const theme of PANEL_THEMES) {
      const file = trayIconPath('assets', state, theme);
      files.push({ file, png: renderTrayIcon(state, theme, 1) });
      files.push({ file: file.replace(/\.png$/, '@2x.png'), png: renderTrayIcon(state, theme, 2) });
    }
  }
  files.push({ file: appIconPath('assets'), png: renderAppIcon(512) });
  for (const size of LINUX_ICON_SIZES) files.push({ file: path.join('build', 'icons', `${size}x${size}.png`), png: renderAppIcon(size) });
  return files;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  for (const { file, png } of allIcons()) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), png);
    console.log(`${file}  ${png.length} bytes`);
  }
}
