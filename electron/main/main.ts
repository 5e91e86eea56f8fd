/**
 * The Electron tray shell: everything here is wiring. Decisions live in pure modules (menu-model,
 * idle-policy, notification-rules, settings, actions) that are unit-tested without Electron.
 *
 * Start-up: whenReady → read settings (first run: open the settings window) → start the agent
 * core → tray icon + menu follow every snapshot. Loaded by entry.ts; runs compiled (dist/electron/main/main.js).
 */
import {
  app, BrowserWindow, ipcMain, Menu, nativeImage, nativeTheme, powerMonitor, shell, Tray,
  type MenuItemConstructorOptions,
} from 'electron';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AgentSnapshot } from '../agent/agent-state.ts';
import { labCaPem, trustCaFrom } from '../agent/lab-ca.ts';
import { httpsFetch, httpsTransport } from '../agent/https-fetch.ts';
import { createActionHandler, type SyncResults } from './actions.ts';
import { caFileFrom } from './lab-ca-arg.ts';
import type { AgentPort, StartAgent } from '../agent/agent-port.ts';
import { appIconPath, panelTheme, trayIconPath } from './icon-paths.ts';
import { idleTick, initialIdleTracker, type IdleTracker } from './idle-policy.ts';
import { IpcChannel, type LoadSettingsReply, type SaveSettingsReply } from './ipc-contract.ts';
import { autostartDesktopEntry, autostartFilePath, launchCommand, setLinuxAutostart } from './login-item.ts';
import { buildMenuModel, tooltip, trayState, type ActionId, type MenuItemModel } from './menu-model.ts';
import { showNotification } from './notifier.ts';
import { startAgent } from '../agent/start-agent.ts';
import { startBatchNotifications } from './head-events.ts';
import { syncResults } from '../../client/sync.ts';
import { HeadClient } from '../../shared/api/head-client.ts';
import {
  agentSettings, draftSettings, parseSettingsObject, readSettingsFile, settingsFilePath, writeSettingsFile,
  type SettingsEnv, type SettingsError, type TraySettings,
} from './settings.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ASSETS = path.resolve(HERE, '../../assets');
/** How often the system idle time is sampled for automatic pause. */
const IDLE_POLL_MS = 15_000;
/** Menu and tooltip show a job's elapsed time; refresh it even when the agent is quiet. */
const MENU_REFRESH_MS = 30_000;


let settings: TraySettings | null = null;
let settingsErrors: SettingsError[] = [];
let port: AgentPort | null = null;
let unsubscribe: (() => void)[] = [];
let tray: Tray | null = null;
let statusWindow: BrowserWindow | null = null;
let settingsWindow: BrowserWindow | null = null;
let syncing = false;
let idleTracker: IdleTracker = initialIdleTracker;
const notified = new Set<string>();
const timers: NodeJS.Timeout[] = [];
let shuttingDown = false;

const env = (): SettingsEnv => ({ home: os.homedir(), userData: app.getPath('userData') });
const settingsFile = () => settingsFilePath(app.getPath('userData'));

function report(title: string, message: string): void {
  void showNotification(title, message, appIconPath(ASSETS)).then((r) => {
    if (!r.ok) console.error(`notification failed (${r.error}): ${title}: ${message}`);
  });
}

/** What the tray shows while no agent runs (not configured, or the core failed to start). */
function stoppedSnapshot(): AgentSnapshot {
  return {
    name: settings?.name ?? (settings ? os.hostname() : 'not configured'),
    headUrl: settings?.headUrl ?? '',
    connection: 'offline',
    capabilities: { tags: settings?.tags ?? [], physicalCores: 0, logicalCores: 0, memoryBytes: 0, gpus: [] },
    current: null,
    jobs: [],
    free: { cpus: 0, memoryBytes: 0, gpus: 0 },
    pause: null,
    recent: [],
  };
}

function toTemplate(model: MenuItemModel[], run: (id: ActionId) => void): MenuItemConstructorOptions[] {
  return model.map((item): MenuItemConstructorOptions => {
    if (item.type === 'separator') return { type: 'separator' };
    const action = item.action;
    return { label: item.label, enabled: item.enabled, click: action ? () => run(action) : undefined };
  });
}

const handleAction = createActionHandler({
  port: () => port,
  settings: () => settings,
  syncResults: ((s) => syncResults({ client: new HeadClient({ base: s.headUrl, token: s.userToken ?? s.token, ...(labCaPem() ? { transport: httpsTransport } : {}) }), out: s.resultsDir })) satisfies SyncResults,
  openStatus,
  openSettings,
  quit: shutdown,
  report,
  syncing: (busy) => {
    syncing = busy;
    render();
  },
});

function render(): void {
  if (!tray) return;
  const snapshot = port?.snapshot() ?? stoppedSnapshot();
  const now = Date.now();
  const theme = panelTheme(settings?.trayTheme ?? 'auto', nativeTheme.shouldUseDarkColors);
  tray.setImage(nativeImage.createFromPath(trayIconPath(ASSETS, trayState(snapshot), theme)));
  tray.setToolTip(tooltip(snapshot, now));
  tray.setContextMenu(Menu.buildFromTemplate(toTemplate(buildMenuModel(snapshot, now, { syncing }), (id) => void handleAction(id))));
}

async function startCore(): Promise<void> {
  if (!settings || port) return;
  try {
    port = await (startAgent satisfies StartAgent)(agentSettings(settings));
  } catch (err) {
    report('distribute agent did not start', (err as Error).message);
    return;
  }
  idleTracker = initialIdleTracker;
  unsubscribe = [port.onChange(() => render())];
  if (settings.userToken) {
    const follower = startBatchNotifications({
      headUrl: settings.headUrl, token: settings.userToken, fetch: labCaPem() ? httpsFetch : undefined,
      context: () => ({ me: settings?.user ?? '', enabled: settings?.notifications ?? false, alreadyNotified: notified }),
      remember: (key) => notified.add(key),
      show: report,
    });
    unsubscribe.push(() => follower.close());
  }
  render();
}

async function stopCore(): Promise<void> {
  for (const off of unsubscribe) off();
  unsubscribe = [];
  const stopping = port;
  port = null;
  if (stopping) await stopping.stop();
  render();
}

async function applyLoginItem(enabled: boolean): Promise<void> {
  if (process.platform === 'linux') {
    const result = await setLinuxAutostart(enabled, autostartFilePath(process.env, os.homedir()), autostartDesktopEntry(launchCommand(process.env, process.execPath)));
    if (!result.ok) report('Could not change start at login', result.error);
    return;
  }
  app.setLoginItemSettings({ openAtLogin: enabled });
}

/** Save new settings and apply them; the agent restarts only if what it was started with changed. */
async function applySettings(next: TraySettings): Promise<void> {
  const previous = settings;
  await writeSettingsFile(settingsFile(), next);
  settings = next;
  settingsErrors = [];
  if (!previous || previous.startAtLogin !== next.startAtLogin) await applyLoginItem(next.startAtLogin);
  if (!previous || JSON.stringify(agentSettings(previous)) !== JSON.stringify(agentSettings(next))) {
    await stopCore();
    await startCore();
  }
  render();
}

function idlePoll(): void {
  if (!port || !settings) return;
  const snapshot = port.snapshot();
  const { action, tracker } = idleTick(
    idleTracker,
    { idleSeconds: powerMonitor.getSystemIdleTime(), now: Date.now(), nodePaused: snapshot.pause !== null, hasJob: snapshot.current !== null },
    settings.autoPause,
  );
  const before = idleTracker;
  idleTracker = tracker;
  if (action === 'none') return;
  const call = action === 'pause' ? port.pause(null, 'idle') : port.resume();
  call.catch((err: Error) => {
    // The agent did not take it: forget what we thought we did so the next tick decides afresh.
    idleTracker = before;
    console.error(`automatic ${action} failed: ${err.message}`);
  });
}

function openStatus(): void {
  if (!port) return openSettings();
  if (statusWindow && !statusWindow.isDestroyed()) {
    statusWindow.show();
    statusWindow.focus();
    return;
  }
  const url = port.statusPageUrl();
  const origin = new URL(url).origin;
  const win = new BrowserWindow({
    width: 760, height: 680, title: 'distribute status', icon: appIconPath(ASSETS), autoHideMenuBar: true,
    webPreferences: { sandbox: true, contextIsolation: true, nodeIntegration: false },
  });
  // The page is the agent's own; anything else (a link to the head's dashboard) goes to the browser.
  win.webContents.on('will-navigate', (event, target) => {
    if (new URL(target).origin !== origin) {
      event.preventDefault();
      void shell.openExternal(target);
    }
  });
  win.webContents.setWindowOpenHandler(({ url: target }) => {
    if (/^https?:/.test(target)) void shell.openExternal(target);
    return { action: 'deny' };
  });
  win.on('closed', () => {
    statusWindow = null;
  });
  void win.loadURL(url);
  statusWindow = win;
}

function openSettings(): void {
  if (settingsWindow && !settingsWindow.isDestroyed()) {
    settingsWindow.show();
    settingsWindow.focus();
    return;
  }
  const win = new BrowserWindow({
    width: 560, height: 720, title: 'distribute settings', icon: appIconPath(ASSETS), autoHideMenuBar: true,
    webPreferences: { preload: path.join(HERE, 'settings-preload.cjs'), sandbox: true, contextIsolation: true, nodeIntegration: false },
  });
  win.webContents.on('will-navigate', (event) => event.preventDefault());
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  win.on('closed', () => {
    settingsWindow = null;
  });
  void win.loadFile(path.join(HERE, 'settings.html'));
  settingsWindow = win;
}

function registerIpc(): void {
  const fromSettingsWindow = (sender: Electron.WebContents) => settingsWindow !== null && sender === settingsWindow.webContents;
  ipcMain.handle(IpcChannel.loadSettings, (event): LoadSettingsReply | null => {
    if (!fromSettingsWindow(event.sender)) return null;
    return { values: settings ?? draftSettings(env()), errors: settingsErrors, settingsFile: settingsFile() };
  });
  ipcMain.handle(IpcChannel.saveSettings, async (event, values: unknown): Promise<SaveSettingsReply> => {
    if (!fromSettingsWindow(event.sender)) return { ok: false, errors: [{ path: '', message: 'not allowed' }] };
    const parsed = parseSettingsObject(values, env());
    if (!parsed.ok) return parsed;
    try {
      await applySettings(parsed.settings);
    } catch (err) {
      return { ok: false, errors: [{ path: '', message: `could not save: ${(err as Error).message}` }] };
    }
    return { ok: true };
  });
  ipcMain.on(IpcChannel.closeSettings, (event) => {
    if (fromSettingsWindow(event.sender)) settingsWindow?.close();
  });
}

/** Stop the agent cleanly (it continues a paused job and tells the head) and leave. */
async function shutdown(): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  for (const timer of timers) clearInterval(timer);
  try {
    await stopCore();
  } finally {
    tray?.destroy();
    tray = null;
    app.exit(0);
  }
}

async function ready(): Promise<void> {
  registerIpc();
  tray = new Tray(nativeImage.createFromPath(trayIconPath(ASSETS, 'offline', panelTheme('auto', nativeTheme.shouldUseDarkColors))));
  tray.on('click', () => openStatus());
  nativeTheme.on('updated', render);

  const loaded = await readSettingsFile(settingsFile(), env());
  if (loaded.ok) settings = loaded.settings;
  else settingsErrors = loaded.errors;
  render();
  if (!settings) openSettings();
  else await startCore();

  timers.push(setInterval(idlePoll, IDLE_POLL_MS), setInterval(render, MENU_REFRESH_MS));
}

// One settings folder however the app was started (packaged, `electron .`, or `electron dist/electron/main/entry.js`,
// where Electron would otherwise name it "Electron").
app.setPath('userData', path.join(app.getPath('appData'), 'distribute'));

// A lab CA (--ca F or $DISTRIBUTE_CA) is trusted before anything connects to the head: the agent
// core, result syncs (HeadClient reads $DISTRIBUTE_CA) and the batch notifications all use it.
const caFile = caFileFrom(process.argv, process.env);
if (caFile) {
  process.env.DISTRIBUTE_CA = caFile;
  const problem = trustCaFrom(caFile);
  if (problem) {
    console.error(`distribute tray: ${problem}`);
    app.exit(2);
  }
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => (port ? openStatus() : openSettings()));
  // A tray app lives on without windows.
  app.on('window-all-closed', () => undefined);
  // Logout, SIGTERM, or app.quit() from elsewhere: stop the agent first so no job stays stopped.
  app.on('before-quit', (event) => {
    if (shuttingDown) return;
    event.preventDefault();
    void shutdown();
  });
  app.whenReady().then(ready).catch((err: Error) => {
    console.error(`distribute tray failed to start: ${err.stack ?? err.message}`);
    app.exit(1);
  });
}
