/** How an agent (agent.ts) is set up: which head it serves, where it works, and its pause rules. */

/** Settings of an Agent (from `distribute agent` / `distribute up` options or the tray's config). */
export interface AgentSettings {
  headUrl: string;
  token: string;
  workdir: string;
  /** Node name (default: the host name). */
  name?: string;
  tags: string[];
  /** User who may pause this node through the head (besides admins). */
  owner?: string;
  /** Python interpreter for python batches (default `python3`). */
  python?: string;
  /** Longest pause (ms); a pause "until resumed" also ends here. Default 4 h. */
  maxPauseMs?: number;
  /**
   * What happens to a job still paused at the maximum: 'resume' (default) continues it;
   * 'requeue' kills it and hands it back to the head to run elsewhere, the node staying paused.
   */
  atMaxPause?: 'resume' | 'requeue';
  /** Grace between SIGTERM and SIGKILL when a job is cancelled. */
  killGraceMs?: number;
  /** Where log lines go (default: stderr, prefixed with the node name). */
  log?: (line: string) => void;
}
