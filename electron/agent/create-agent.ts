/**
 * The one place an agent core is built with its real parts: the system clock, the WebSocket link
 * to the head, HTTP file transfer, real job processes and pause watchdogs, and capability
 * detection. `startAgent` (start-agent.ts: `distribute agent`, `distribute up`, the tray) builds
 * its agent here; unit tests build one with fakes through the same function.
 */
import { Agent, type AgentDeps } from './agent.ts';
import type { AgentSettings } from './agent-settings.ts';
import { detectCapabilities } from './capabilities.ts';
import { systemClock } from './clock.ts';
import { HeadConnection } from './connection.ts';
import { httpTransfer } from './file-transfer.ts';
import { processLauncher } from './runner/index.ts';
import { processWatchdogs } from './node-pause.ts';

/** The real parts. */
export function realAgentDeps(): AgentDeps {
  return {
    clock: systemClock,
    link: (opts) => new HeadConnection(opts),
    transfer: httpTransfer,
    launcher: processLauncher,
    watchdogs: processWatchdogs,
    detectCapabilities,
  };
}

/** An agent with the real parts, any of them replaced by `deps` (tests). Not started yet. */
export function createAgent(settings: AgentSettings, deps: Partial<AgentDeps> = {}): Agent {
  return new Agent(settings, { ...realAgentDeps(), ...deps });
}
