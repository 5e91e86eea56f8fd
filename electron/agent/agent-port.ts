/**
 * The seam between the tray shell and the agent core. The shell depends only on this interface;
 * the core (electron/agent/agent.ts, plain Node) implements it, so the shell never reaches into the
 * agent's internals and tests can drive the shell's logic with a small fake.
 */
import type { AgentSnapshot } from './agent-state.ts';
import type { AgentSettings as CoreAgentSettings } from './agent-settings.ts';

export type { AgentSnapshot };

/** What the shell hands the core to start it: the part of the core's settings the tray sets. */
export type AgentSettings = Pick<CoreAgentSettings, 'headUrl' | 'token' | 'workdir' | 'name' | 'tags' | 'owner' | 'cpus' | 'memoryGb' | 'gpus'>;

/** A running agent core, as the tray sees it. */
export interface AgentPort {
  /** The current state; cheap, call freely. */
  snapshot(): AgentSnapshot;
  /** Called with every new snapshot; returns the unsubscribe function. */
  onChange(listener: (s: AgentSnapshot) => void): () => void;
  /**
   * Pause this node for `durationMs`; null = until resumed (capped by the agent's maximum).
   * `reason` is 'user' for the menu and 'idle' for the automatic pause while the owner works.
   */
  pause(durationMs: number | null, reason?: 'user' | 'idle'): Promise<void>;
  resume(): Promise<void>;
  /** `http://127.0.0.1:<port>/?token=...`, the status page the agent serves. */
  statusPageUrl(): string;
  stop(): Promise<void>;
}

/** Signature of `startAgent` exported by electron/agent/start-agent.ts. */
export type StartAgent = (settings: AgentSettings) => Promise<AgentPort>;
