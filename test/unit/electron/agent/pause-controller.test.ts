import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PauseController, type Clock, type PauseControllerOptions, type PauseEvent } from '../../../../electron/agent/pause-controller.ts';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const T0 = Date.UTC(2025, 0, 1);

/** A clock whose time moves only through advance(), firing due timers in order. */
class FakeClock implements Clock {
  private t = T0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 0;
  now = () => this.t;
  setTimer = (fn: () => void, ms: number) => {
    const id = this.nextId++;
    this.timers.push({ at: this.t + ms, fn, id });
    return () => {
      this.timers = this.timers.filter((x) => x.id !== id);
    };
  };
  pending(): number {
    return this.timers.length;
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = due.at;
      due.fn();
    }
    this.t = end;
  }
}

function setup(opts: Partial<PauseControllerOptions> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'distribute-pause-'));
  const file = join(dir, 'pause.json');
  const clock = new FakeClock();
  const events: PauseEvent[] = [];
  const pc = new PauseController({ file, clock, ...opts });
  pc.onChange((e) => events.push(e));
  return { pc, clock, events, file, dir };
}

test('a timed pause ends by itself at its expiry', () => {
  const { pc, clock, events } = setup();
  const rec = pc.pause(30 * M, 'user');
  assert.deepEqual(rec, { since: T0, until: T0 + 30 * M, reason: 'user', capped: false });
  assert.equal(pc.isPaused(), true);
  clock.advance(30 * M - 1);
  assert.equal(pc.isPaused(), true);
  clock.advance(1);
  assert.equal(pc.isPaused(), false);
  assert.deepEqual(events.map((e) => e.type === 'resumed' ? `resumed:${e.cause}` : 'paused'), ['paused', 'resumed:expired']);
  assert.equal(clock.pending(), 0);
});

test('resume before expiry cancels the timer; resume(onlyIf) leaves other reasons alone', () => {
  const { pc, clock, events } = setup();
  pc.pause(H, 'user');
  assert.equal(pc.resume('idle'), false, 'idle policy cannot end a user pause');
  assert.equal(pc.isPaused(), true);
  assert.equal(pc.resume(), true);
  assert.equal(pc.resume(), false);
  assert.equal(clock.pending(), 0);
  clock.advance(2 * H);
  assert.deepEqual(events.map((e) => e.type === 'resumed' ? `resumed:${e.cause}` : 'paused'), ['paused', 'resumed:resumed']);
});

test('durations beyond the maximum and until-resumed pauses are capped; at the maximum the default resumes', () => {
  const { pc, clock, events } = setup({ maxMs: 4 * H });
  assert.deepEqual(pc.pause(10 * H, 'user'), { since: T0, until: T0 + 4 * H, reason: 'user', capped: true });
  clock.advance(4 * H);
  assert.equal(pc.isPaused(), false);
  const last = events.at(-1);
  assert.equal(last?.type === 'resumed' && last.cause, 'maximum');

  assert.equal(pc.pause(null, 'head').until, T0 + 8 * H);
  clock.advance(4 * H);
  assert.equal(pc.isPaused(), false);
});

test("atMaximum 'keep' keeps a capped pause without an end until resumed; a timed one still expires", () => {
  const { pc, clock, events } = setup({ maxMs: 2 * H, atMaximum: 'keep' });
  pc.pause(null, 'user');
  clock.advance(2 * H);
  assert.deepEqual(pc.current(), { since: T0, until: null, reason: 'user', capped: true });
  assert.equal(events.at(-1)?.type, 'paused', 'listeners learn the pause lost its end time');
  clock.advance(100 * H);
  assert.equal(pc.isPaused(), true);
  assert.equal(clock.pending(), 0);

  // pausing again after the maximum starts a fresh pause with its own cap
  const fresh = pc.pause(30 * M, 'user');
  assert.deepEqual(fresh, { since: T0 + 102 * H, until: T0 + 102 * H + 30 * M, reason: 'user', capped: false });
  clock.advance(30 * M);
  assert.equal(pc.isPaused(), false);

  pc.pause(H, 'idle');
  clock.advance(H);
  assert.equal(pc.isPaused(), false, 'a requested duration under the cap always ends');
});

test('pausing again replaces end and reason but the maximum counts from the first pause', () => {
  const { pc, clock } = setup({ maxMs: 4 * H });
  pc.pause(H, 'idle');
  clock.advance(50 * M);
  assert.deepEqual(pc.pause(H, 'user'), { since: T0, until: T0 + 110 * M, reason: 'user', capped: false });
  clock.advance(50 * M);
  assert.deepEqual(pc.pause(4 * H, 'user'), { since: T0, until: T0 + 4 * H, reason: 'user', capped: true });
  clock.advance(140 * M - 1);
  assert.equal(pc.isPaused(), true);
  clock.advance(1);
  assert.equal(pc.isPaused(), false);
});

test('bad durations are refused', () => {
  const { pc } = setup();
  for (const bad of [0, -5, Number.NaN, Infinity]) assert.throws(() => pc.pause(bad, 'user'), RangeError);
  assert.equal(pc.isPaused(), false);
  assert.throws(() => new PauseController({ file: '/tmp/x', maxMs: 0 }), RangeError);
});

test('pause.json holds the pause while it lasts and is removed on resume', () => {
  const { pc, clock, file } = setup();
  pc.pause(H, 'head');
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { version: 1, since: T0, until: T0 + H, reason: 'head', capped: false });
  clock.advance(10 * M);
  pc.pause(2 * H, 'user');
  assert.equal(JSON.parse(readFileSync(file, 'utf8')).until, T0 + 130 * M);
  pc.resume();
  assert.equal(existsSync(file), false);
});

test('crash recovery: a restarted agent drops the old pause (job continued) and reports it', () => {
  const first = setup();
  first.pc.pause(H, 'user');
  first.clock.advance(20 * M);
  first.pc.dispose(); // the agent dies; the file stays

  const clock = new FakeClock();
  clock.advance(25 * M);
  const again = new PauseController({ file: first.file, clock });
  const rec = again.recover();
  assert.deepEqual(rec, {
    kind: 'ended',
    previous: { since: T0, until: T0 + H, reason: 'user', capped: false },
    cause: 'agent-restarted',
    stoppedMs: 25 * M,
  });
  assert.equal(again.isPaused(), false, 'never left paused after a crash');
  assert.equal(existsSync(first.file), false);
  assert.deepEqual(again.recover(), { kind: 'none' });
});

test('crash recovery reports an already expired pause as expired; garbage files are ignored', () => {
  const { file, dir } = setup();
  writeFileSync(file, JSON.stringify({ version: 1, since: T0 - 2 * H, until: T0 - H, reason: 'idle', capped: false }));
  const clock = new FakeClock();
  const pc = new PauseController({ file, clock });
  const rec = pc.recover();
  assert.equal(rec.kind === 'ended' && rec.cause, 'expired');
  assert.equal(rec.kind === 'ended' && rec.stoppedMs, 2 * H);

  const junk = join(dir, 'junk.json');
  writeFileSync(junk, '{"since": "yesterday"');
  assert.deepEqual(new PauseController({ file: junk, clock }).recover(), { kind: 'none' });
  assert.equal(existsSync(junk), false);
});

test('a persistence failure is reported and the pause still applies', () => {
  const errors: Error[] = [];
  const { pc } = setup({ file: '/nonexistent-dir/pause.json', onPersistError: (e) => errors.push(e) });
  pc.pause(H, 'user');
  assert.equal(pc.isPaused(), true);
  assert.equal(errors.length, 1);
});

test('paused time is accounted per job and excludes time before the job started', () => {
  const { pc, clock } = setup();
  pc.pause(H, 'user'); // node paused before any job
  clock.advance(10 * M);
  pc.jobStarted();
  clock.advance(5 * M);
  assert.equal(pc.pausedMs(), 5 * M);
  pc.resume();
  clock.advance(30 * M);
  assert.equal(pc.pausedMs(), 5 * M, 'running time is not paused time');
  pc.pause(20 * M, 'idle');
  clock.advance(25 * M); // expires after 20 min
  assert.equal(pc.pausedMs(), 25 * M);
  assert.equal(pc.jobEnded(), 25 * M);
  assert.equal(pc.pausedMs(), 0);

  pc.jobStarted();
  pc.pause(null, 'user');
  clock.advance(7 * M);
  assert.equal(pc.jobEnded(), 7 * M);
});

test('a maximum longer than setTimeout can wait re-arms the timer and still ends on time', () => {
  const { pc, clock } = setup({ maxMs: 40 * 24 * H });
  pc.pause(null, 'user');
  clock.advance(40 * 24 * H - 1);
  assert.equal(pc.isPaused(), true);
  clock.advance(1);
  assert.equal(pc.isPaused(), false);
});
