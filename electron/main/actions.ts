/**
 * What each tray menu action does, given its collaborators. main.ts injects the real ones (the
 * agent port, windows, the sync function); tests inject small fakes. Failures are reported to the
 * person through `report`, never thrown into Electron's menu callback.
 */
import type { AgentPort } from '../agent/agent-port.ts';
import { PAUSE_DURATION_MS, type ActionId } from './menu-model.ts';
import type { TraySettings } from './settings.ts';

/** Result of "Sync my results", as one line for a notification. */
export interface SyncOutcome {
  ok: boolean;
  message: string;
}

/**
 * Pull every finished batch of the user into `settings.resultsDir`, skipping identical files.
 * main.ts wires client/sync.ts here; injected so the shell's decisions are tested without a head.
 */
export type SyncResults = (settings: TraySettings) => Promise<SyncOutcome>;

export interface ActionDeps {
  /** The running agent, or null while the tray is not configured yet. */
  port(): AgentPort | null;
  settings(): TraySettings | null;
  syncResults: SyncResults;
  openStatus(): void;
  openSettings(): void;
  quit(): void | Promise<void>;
  /** Tell the person something (a desktop notification in the real shell). */
  report(title: string, message: string): void;
  /** Sync started (true) or ended (false): the menu shows "Syncing results…". */
  syncing(busy: boolean): void;
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Build the function the menu calls with an action id. It never rejects. */
export function createActionHandler(deps: ActionDeps): (id: ActionId) => Promise<void> {
  let syncInProgress = false;

  async function withPort(what: string, call: (port: AgentPort) => Promise<void>): Promise<void> {
    const port = deps.port();
    if (!port) {
      deps.report(`Cannot ${what}`, 'The agent is not running: open Settings… and enter the head URL and token.');
      deps.openSettings();
      return;
    }
    try {
      await call(port);
    } catch (err) {
      deps.report(`Could not ${what}`, errorText(err));
    }
  }

  async function sync(): Promise<void> {
    if (syncInProgress) return;
    const settings = deps.settings();
    if (!settings) {
      deps.report('Cannot sync results', 'Open Settings… and enter the head URL and token first.');
      deps.openSettings();
      return;
    }
    syncInProgress = true;
    deps.syncing(true);
    try {
      const outcome = await deps.syncResults(settings);
      deps.report(outcome.ok ? 'Results synced' : 'Sync failed', outcome.message);
    } catch (err) {
      deps.report('Sync failed', errorText(err));
    } finally {
      syncInProgress = false;
      deps.syncing(false);
    }
  }

  return async (id: ActionId): Promise<void> => {
    switch (id) {
      case 'pause-30m':
      case 'pause-1h':
      case 'pause-until-resumed':
        return withPort('pause', (port) => port.pause(PAUSE_DURATION_MS[id]));
      case 'resume':
        return withPort('resume', (port) => port.resume());
      case 'open-status':
        if (!deps.port()) {
          deps.openSettings();
          return;
        }
        deps.openStatus();
        return;
      case 'sync-results':
        return sync();
      case 'settings':
        deps.openSettings();
        return;
      case 'quit':
        try {
          await deps.quit();
        } catch (err) {
          deps.report('Quit failed', errorText(err));
        }
        return;
    }
  };
}
