/**
 * Every message between the settings window and the main process, in one place. The preload
 * (settings-preload.cjs, plain CommonJS because sandboxed preloads cannot load TypeScript) repeats
 * the channel names; a unit test checks the two agree.
 */
import type { SettingsError, TraySettings } from './settings.ts';

export const IpcChannel = {
  /** renderer → main: the settings to show (current file, or a draft on first run). */
  loadSettings: 'settings:load',
  /** renderer → main: validate, save, apply; answers with errors or ok. */
  saveSettings: 'settings:save',
  /** renderer → main: close the settings window. */
  closeSettings: 'settings:close',
} as const;

/** Answer to {@link IpcChannel.loadSettings}. */
export interface LoadSettingsReply {
  /** The form's values: the current settings, or defaults with empty head URL and token. */
  values: Omit<TraySettings, 'headUrl' | 'token'> & { headUrl: string; token: string };
  /** Problems with the file on disk (shown on open), empty when it is fine. */
  errors: SettingsError[];
  settingsFile: string;
}

/** Answer to {@link IpcChannel.saveSettings}. */
export type SaveSettingsReply = { ok: true } | { ok: false; errors: SettingsError[] };

/** What the preload exposes to the settings page as `window.distributeSettings`. */
export interface SettingsBridge {
  load(): Promise<LoadSettingsReply>;
  save(values: unknown): Promise<SaveSettingsReply>;
  close(): void;
}
