/**
 * Start at login. Electron's app.setLoginItemSettings covers macOS and Windows only; on Linux the
 * freedesktop way is a .desktop file in ~/.config/autostart, which this module writes or removes.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The command to start the tray: the AppImage file when run from one, else the executable. */
export function launchCommand(env: NodeJS.ProcessEnv, execPath: string): string {
  // Inside an AppImage, execPath points into a temporary mount that is gone after logout.
  return env.APPIMAGE && env.APPIMAGE.length > 0 ? env.APPIMAGE : execPath;
}

/** Quote one argument of a desktop entry's Exec key (freedesktop Desktop Entry spec). */
export function quoteExecArg(arg: string): string {
  if (/^[A-Za-z0-9_\-./+:=@,]+$/.test(arg)) return arg;
  return `"${arg.replace(/(["`$\\])/g, '\\$1')}"`;
}

/** Text of the autostart entry that launches `command` at login. */
export function autostartDesktopEntry(command: string, args: string[] = []): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=distribute',
    'Comment=Run lab compute jobs on this workstation',
    `Exec=${[command, ...args].map(quoteExecArg).join(' ')}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/** `$XDG_CONFIG_HOME/autostart/distribute.desktop`, falling back to ~/.config. */
export function autostartFilePath(env: NodeJS.ProcessEnv, home: string): string {
  const configHome = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(home, '.config');
  return path.join(configHome, 'autostart', 'distribute.desktop');
}

/** Create or remove the Linux autostart entry; I/O errors come back as a value. */
export async function setLinuxAutostart(enabled: boolean, file: string, entry: string): Promise<{ ok: true } | { ok: false; error: string }> {
  try {
    if (enabled) {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, entry);
    } else {
      await rm(file, { force: true });
    }
    return { ok: true };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}
