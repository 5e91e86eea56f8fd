/**
 * Where the tray and app icons live. One place, shared by main.ts and the test that checks every
 * icon exists, so a renamed file fails a test instead of showing an empty tray.
 */
import path from 'node:path';
import type { TrayState } from './menu-model.ts';

/** The panel the icon is drawn for: dark glyphs on a light panel, light glyphs on a dark one. */
export type PanelTheme = 'light' | 'dark';

export const TRAY_STATES: readonly TrayState[] = ['idle', 'running', 'paused', 'offline'];
export const PANEL_THEMES: readonly PanelTheme[] = ['light', 'dark'];

/** Edge of the 1x tray icon in pixels (the usual Linux panel size); `@2x` files are twice this. */
export const TRAY_ICON_SIZE = 22;

/**
 * `assets/tray/<state>-<theme>.png`. Electron's nativeImage picks up the `@2x` sibling by itself
 * on high-density screens.
 */
export function trayIconPath(assetsDir: string, state: TrayState, theme: PanelTheme): string {
  return path.join(assetsDir, 'tray', `${state}-${theme}.png`);
}

/** The 512x512 application icon (window icon, notifications). */
export function appIconPath(assetsDir: string): string {
  return path.join(assetsDir, 'icon.png');
}

/** Which icon set to use: the setting, or the desktop's dark mode when set to 'auto'. */
export function panelTheme(setting: 'auto' | PanelTheme, desktopIsDark: boolean): PanelTheme {
  if (setting !== 'auto') return setting;
  return desktopIsDark ? 'dark' : 'light';
}
