/**
 * A snapshot of the agent, as the tray app, the status page and the control endpoint see it.
 * The agent core emits a new snapshot on every change.
 */
export type Connection = 'connecting' | 'connected' | 'offline';

export interface CurrentJob {
  batchId: string;
  batch: string;
  namespace: string;
  job: string;
  owner: string;
  attempt: number;
  /** Epoch ms the job started. */
  startedAt: number;
  /** Paused time accumulated so far (ms). */
  pausedMs: number;
  /** Epoch ms the job's processes were stopped (the current pause), null while running. */
  pausedAt?: number | null;
  phase: 'downloading' | 'building' | 'running' | 'uploading';
}

export interface RecentJob {
  batch: string;
  job: string;
  outcome: string;
  endedAt: number;
  runMs: number;
}

export interface AgentSnapshot {
  name: string;
  headUrl: string;
  connection: Connection;
  /** Tags plus detected hardware, as sent in `hello`. */
  capabilities: { tags: string[]; physicalCores: number; logicalCores: number; memoryBytes: number; gpus: { vendor: string; model: string; memoryBytes: number }[] };
  current: CurrentJob | null;
  /** Pause of this node: null when not paused; `until` null = until resumed (capped by the agent's maximum). */
  pause: { since: number; until: number | null; /** When it ends at the latest (the maximum). */ capAt?: number } | null;
  recent: RecentJob[];
}
