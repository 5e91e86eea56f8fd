/**
 * A snapshot of the agent, as the tray app, the status page and the control endpoint see it.
 * The agent core emits a new snapshot on every change. The shapes are part of the control
 * endpoint's contract, so they are declared (as zod schemas) in shared/api/control-api.ts.
 */
export type { AgentSnapshot, Connection, CurrentJob, RecentJob } from '../../shared/api/control-api.ts';
