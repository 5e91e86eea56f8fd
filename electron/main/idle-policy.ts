/**
 * Opt-in "pause while I work": when the owner used keyboard or mouse within the last N minutes the
 * node is paused; once the machine has been idle for M minutes it resumes. The tray polls the
 * system idle time and feeds it here; this module only decides.
 *
 * Two rules carry the weight:
 * - a pause the tray did not make itself (menu, `distribute pause`, the head) is the user's, and
 *   this policy never resumes it;
 * - the node is paused while the owner is active even when no job runs, so that no new job lands
 *   on a machine that would stop it within seconds (the head skips paused nodes).
 */

/** The owner's settings for automatic pause. */
export interface IdlePolicySettings {
  enabled: boolean;
  /** N: input within the last N minutes counts as "the owner is working". */
  activeWithinMinutes: number;
  /** M: idle this many minutes before an automatic pause is lifted. Taken as at least N. */
  resumeAfterIdleMinutes: number;
}

/** What the tray knows about the current pause. */
export interface IdlePolicyState {
  /** The current pause was made by this policy. */
  autoPaused: boolean;
  /** A pause made by the user (or the head on their behalf) is in effect. */
  userPaused: boolean;
  /** A job is on the node; informational (the rule does not depend on it, see the module comment). */
  hasJob: boolean;
  /**
   * The user resumed by hand while the policy would pause: do not pause again until the machine
   * has been idle for M minutes once, or a click on Resume would be undone 15 s later.
   */
  heldOffUntilIdle?: boolean;
}

export interface IdlePolicyInput {
  /** Seconds since the last keyboard/mouse input (powerMonitor.getSystemIdleTime()). */
  idleSeconds: number;
  now: number;
  settings: IdlePolicySettings;
  state: IdlePolicyState;
}

export type IdleAction = 'pause' | 'resume' | 'none';

/** Seconds of idleness after which an automatic pause ends (M, but never below N: no flapping). */
export function resumeThresholdSeconds(settings: IdlePolicySettings): number {
  return Math.max(settings.resumeAfterIdleMinutes, settings.activeWithinMinutes) * 60;
}

/** Decide one tick of the automatic-pause policy. */
export function decideIdleAction(input: IdlePolicyInput): IdleAction {
  const { idleSeconds, settings, state } = input;
  if (state.userPaused) return 'none';
  if (!settings.enabled) return state.autoPaused ? 'resume' : 'none';
  if (state.autoPaused) return idleSeconds >= resumeThresholdSeconds(settings) ? 'resume' : 'none';
  if (state.heldOffUntilIdle) return 'none';
  return idleSeconds < settings.activeWithinMinutes * 60 ? 'pause' : 'none';
}

/**
 * The tray's memory between ticks: whether the pause in effect is the policy's own, and whether a
 * manual resume holds the policy off. Kept apart from the decision so both stay small.
 */
export interface IdleTracker {
  autoPaused: boolean;
  heldOffUntilIdle: boolean;
}

export const initialIdleTracker: IdleTracker = { autoPaused: false, heldOffUntilIdle: false };

/**
 * One poll: reconcile the tracker with the agent's pause (it may have expired or been replaced),
 * decide, and return the action with the next tracker.
 */
export function idleTick(
  tracker: IdleTracker,
  observed: { idleSeconds: number; now: number; nodePaused: boolean; hasJob: boolean },
  settings: IdlePolicySettings,
): { action: IdleAction; tracker: IdleTracker } {
  // Our pause vanished without us lifting it: the user resumed (menu, CLI) or the agent's maximum
  // ran out. Either way someone chose to run, so hold off until the next idle spell.
  const endedByOthers = tracker.autoPaused && !observed.nodePaused;
  const autoPaused = tracker.autoPaused && observed.nodePaused;
  const userPaused = observed.nodePaused && !autoPaused;
  const heldOffUntilIdle =
    (tracker.heldOffUntilIdle || endedByOthers) && observed.idleSeconds < resumeThresholdSeconds(settings);
  const action = decideIdleAction({
    idleSeconds: observed.idleSeconds,
    now: observed.now,
    settings,
    state: { autoPaused, userPaused, hasJob: observed.hasJob, heldOffUntilIdle },
  });
  const next: IdleTracker = {
    autoPaused: action === 'pause' ? true : action === 'resume' ? false : autoPaused,
    heldOffUntilIdle,
  };
  return { action, tracker: next };
}
