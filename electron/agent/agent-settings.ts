/** How an agent (agent.ts) is set up: which head it serves, where it works, and its pause rules. */
import { MAX_TAGS } from '../../shared/protocol/capabilities.ts';
import { unsafeLabelReason, unsafeNameReason } from '../../shared/names.ts';

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
  /** Cores offered to jobs (default: every physical core). */
  cpus?: number;
  /** Memory offered to jobs in GiB (default: all of it). */
  memoryGb?: number;
  /** Positions in the node's GPU list offered to jobs (default: every GPU; `[]` = none). */
  gpus?: number[];
  /** Grace between SIGTERM and SIGKILL when a job is cancelled. */
  killGraceMs?: number;
  /** Where log lines go (default: stderr, prefixed with the node name). */
  log?: (line: string) => void;
}

/**
 * Why these settings cannot identify a node (a name, owner or tag the head would refuse, see
 * shared/names.ts), or null. Checked before connecting so the problem is reported here, plainly.
 */
export function settingsProblem(s: Pick<AgentSettings, 'name' | 'owner' | 'tags'>): string | null {
  if (s.name !== undefined) {
    const bad = unsafeNameReason(s.name);
    if (bad) return `node name ${bad}`;
  }
  if (s.owner !== undefined) {
    const bad = unsafeLabelReason(s.owner);
    if (bad) return `owner ${bad}`;
  }
  for (const tag of s.tags) {
    const bad = unsafeLabelReason(tag.trim());
    if (bad) return `tag ${bad}`;
  }
  if (s.tags.length > MAX_TAGS) return `at most ${MAX_TAGS} tags`;
  return null;
}
