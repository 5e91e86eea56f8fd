/**
 * Starts an agent core together with its local control endpoint, and hands it out as the
 * {@link AgentPort} the tray shell drives. `distribute agent` and `distribute up` use the same
 * function, so the CLI, the tray and the status page all see one agent the same way.
 */
import type { AgentPort } from './agent-port.ts';
import type { AgentSnapshot } from './agent-state.ts';
import type { Agent, AgentSettings } from './agent.ts';
import { createAgent } from './create-agent.ts';
import { startControlServer, type ControlServer } from './control-server.ts';

export interface StartAgentSettings extends AgentSettings {
  /** Port of the control endpoint on 127.0.0.1 (default 8953; 0 = any free port). */
  controlPort?: number;
  /** What stopping the agent does to a running job: hand it back to the head (default) or keep it running for the next agent process to adopt. */
  onExit?: 'requeue' | 'keep';
}

/** A running agent: the tray's AgentPort plus what the CLI hosts need. */
export interface RunningAgent extends AgentPort {
  readonly agent: Agent;
  readonly control: ControlServer;
}

/**
 * Starts the agent (state recovery, head connection) and then its control endpoint. If the
 * endpoint cannot start, the agent is stopped again and the error is thrown.
 */
export async function startAgent(settings: StartAgentSettings): Promise<RunningAgent> {
  const agent = createAgent(settings);
  await agent.start();
  let control: ControlServer;
  try {
    control = await startControlServer({
      target: agent, workdir: settings.workdir, port: settings.controlPort,
      log: agent.log,
    });
  } catch (err) {
    await agent.stop();
    throw new Error(`control endpoint: ${(err as Error).message}`);
  }
  return {
    agent,
    control,
    snapshot: () => agent.snapshot(),
    onChange(listener: (s: AgentSnapshot) => void) {
      agent.on('change', listener);
      return () => agent.off('change', listener);
    },
    pause: async (durationMs, reason = 'user') => {
      await agent.pause(durationMs, reason);
    },
    resume: async () => {
      await agent.resume();
    },
    statusPageUrl: () => control.statusPageUrl(),
    async stop() {
      await control.close();
      await agent.stop({ handBack: (settings.onExit ?? 'requeue') === 'requeue' });
    },
  };
}
