import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decideIdleAction, idleTick, initialIdleTracker, resumeThresholdSeconds,
  type IdleAction, type IdlePolicySettings, type IdleTracker,
} from '../../../../electron/main/idle-policy.ts';

const ON: IdlePolicySettings = { enabled: true, activeWithinMinutes: 2, resumeAfterIdleMinutes: 10 };
const OFF: IdlePolicySettings = { ...ON, enabled: false };
const base = { autoPaused: false, userPaused: false, hasJob: true };

test('decideIdleAction table', () => {
  const table: { name: string; idle: number; settings: IdlePolicySettings; state: Partial<typeof base> & { heldOffUntilIdle?: boolean }; want: IdleAction }[] = [
    { name: 'disabled, active', idle: 0, settings: OFF, state: {}, want: 'none' },
    { name: 'disabled while auto-paused lifts our pause', idle: 0, settings: OFF, state: { autoPaused: true }, want: 'resume' },
    { name: 'disabled never touches a user pause', idle: 9999, settings: OFF, state: { userPaused: true }, want: 'none' },
    { name: 'active within N pauses', idle: 119, settings: ON, state: {}, want: 'pause' },
    { name: 'active within N pauses with no job too', idle: 5, settings: ON, state: { hasJob: false }, want: 'pause' },
    { name: 'idle exactly N does not pause', idle: 120, settings: ON, state: {}, want: 'none' },
    { name: 'auto-paused, idle < M stays', idle: 599, settings: ON, state: { autoPaused: true }, want: 'none' },
    { name: 'auto-paused, idle = M resumes', idle: 600, settings: ON, state: { autoPaused: true }, want: 'resume' },
    { name: 'user pause, long idle: never resumed', idle: 100_000, settings: ON, state: { userPaused: true }, want: 'none' },
    { name: 'user pause, active: nothing to do', idle: 0, settings: ON, state: { userPaused: true }, want: 'none' },
    { name: 'held off after manual resume', idle: 0, settings: ON, state: { heldOffUntilIdle: true }, want: 'none' },
    { name: 'M below N is taken as N', idle: 200, settings: { ...ON, activeWithinMinutes: 5, resumeAfterIdleMinutes: 1 }, state: { autoPaused: true }, want: 'none' },
  ];
  for (const c of table) {
    assert.equal(decideIdleAction({ idleSeconds: c.idle, now: 0, settings: c.settings, state: { ...base, ...c.state } }), c.want, c.name);
  }
  assert.equal(resumeThresholdSeconds({ ...ON, activeWithinMinutes: 5, resumeAfterIdleMinutes: 1 }), 300);
});

/**
 * A fake workstation over time: a clock ticking every 15 s, the owner's last input time, and the
 * node's pause as the agent holds it. Each tick runs the policy and applies its action the way the
 * tray does.
 */
class Sim {
  now = 0;
  lastInput = 0;
  nodePaused = false;
  tracker: IdleTracker = initialIdleTracker;
  readonly actions: { at: number; action: IdleAction }[] = [];
  constructor(private settings: IdlePolicySettings) {}
  tick(): IdleAction {
    const idleSeconds = Math.floor((this.now - this.lastInput) / 1000);
    const { action, tracker } = idleTick(this.tracker, { idleSeconds, now: this.now, nodePaused: this.nodePaused, hasJob: true }, this.settings);
    this.tracker = tracker;
    if (action === 'pause') this.nodePaused = true;
    if (action === 'resume') this.nodePaused = false;
    if (action !== 'none') this.actions.push({ at: this.now / 1000, action });
    return action;
  }
  /** Advance `seconds` in 15 s ticks; `typing` = the owner keeps using the machine meanwhile. */
  run(seconds: number, typing = false): void {
    for (let t = 0; t < seconds; t += 15) {
      this.now += 15_000;
      if (typing) this.lastInput = this.now;
      this.tick();
    }
  }
}

test('fake clock: owner works, leaves, comes back', () => {
  const sim = new Sim(ON);
  sim.lastInput = -3600_000; // idle for an hour before we start
  sim.run(60);
  assert.deepEqual(sim.actions, [], 'idle machine stays running');
  sim.run(30, true); // owner sits down
  assert.deepEqual(sim.actions, [{ at: 75, action: 'pause' }]);
  sim.run(300, true); // keeps working: no repeated pause
  sim.run(9 * 60); // walks away: 9 min idle is below M = 10
  assert.equal(sim.actions.length, 1);
  assert.equal(sim.nodePaused, true);
  sim.run(60); // last input at 390 s: idle reaches 10 min at 990 s
  assert.deepEqual(sim.actions.at(-1), { at: 990, action: 'resume' });
  assert.equal(sim.nodePaused, false);
  assert.equal(sim.actions.length, 2);
});

test('fake clock: a pause made by hand is never lifted by the policy', () => {
  const sim = new Sim(ON);
  sim.lastInput = -3600_000;
  sim.nodePaused = true; // user chose "Pause until resumed" in the menu
  sim.run(4 * 3600);
  assert.deepEqual(sim.actions, []);
  assert.equal(sim.nodePaused, true);
});

test('fake clock: resuming by hand while working holds the policy off until the next idle spell', () => {
  const sim = new Sim(ON);
  sim.run(30, true);
  assert.equal(sim.nodePaused, true);
  sim.nodePaused = false; // the owner clicks Resume: they want the job to run while they work
  sim.run(600, true);
  assert.equal(sim.nodePaused, false, 'not paused again while the owner keeps working');
  sim.run(10 * 60); // idle spell of M minutes ends the hold-off
  sim.run(15, true);
  assert.equal(sim.nodePaused, true, 'next time they sit down, auto pause is back');
});

test('fake clock: the agent ending our pause at its maximum counts like a manual resume', () => {
  const sim = new Sim(ON);
  sim.run(15, true);
  assert.equal(sim.nodePaused, true);
  sim.run(60, true);
  sim.nodePaused = false; // agent maximum reached
  sim.run(60, true);
  assert.equal(sim.nodePaused, false);
});

test('fake clock: turning the feature off lifts only our own pause', () => {
  const sim = new Sim(ON);
  sim.run(15, true);
  assert.equal(sim.nodePaused, true);
  (sim as unknown as { settings: IdlePolicySettings }).settings = OFF;
  sim.run(15, true);
  assert.equal(sim.nodePaused, false);
  assert.deepEqual(sim.tracker, { autoPaused: false, heldOffUntilIdle: false });
});
