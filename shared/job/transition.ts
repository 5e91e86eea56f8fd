/**
 * The one function that changes a job's state. It rejects impossible moves with an error value
 * rather than throwing, so callers decide what a stale or duplicate message means. Events of a run
 * name it by run id: a message about a run the job does not hold changes nothing.
 */
import type { Job, JobResult, JobState } from './state.ts';

export type JobEvent =
  /** A new run: `runId` is drawn by the head (random, see run-id.ts). */
  | { type: 'assign'; node: string; runId: string; now: number }
  | { type: 'start'; runId: string; now: number }
  | { type: 'pause'; runId: string; until: number | null; now: number }
  | { type: 'resume'; runId: string; now: number }
  /**
   * Run `runId` (of `node`, attempt `attempt`) ran the job to an end (exit code, signal, spawn
   * failure). `times`: the run's own start, end and run time as its node measured them (exact,
   * without pauses); when given they are the done job's times, else the head's own view is used.
   */
  | { type: 'finish'; runId: string; node: string; attempt: number; result: JobResult; now: number; maxRetries: number; times?: RunTimes }
  /** Run `runId` was lost (its node vanished) or given back; the job is re-queued. */
  | { type: 'lose'; runId: string; now: number; reason: string }
  /**
   * Run `runId` gave the job back or was rejected by its node (busy, stopping, paused past its
   * maximum, inputs missing, unreadable). Re-queued, unless this is the `maxHandBacks`-th time:
   * then the job ends `rejected` with the reason, so a job no node can take does not circle forever.
   */
  /** `counted: false`: a job in hand given back before it started (not the job's fault). */
  | { type: 'hand-back'; runId: string; now: number; reason: string; maxHandBacks: number; counted?: boolean }
  | { type: 'cancel'; by: string; now: number }
  /** The batch cannot be built on any compatible node. */
  | { type: 'build-failed'; message: string; now: number }
  /** `distribute retry`: a failed or cancelled job runs again (its archived result stays until then). */
  | { type: 'retry'; now: number }
  /**
   * Node `node` proved (its hello, the run's lease) that it still holds run `runId` of a job the
   * head has queued: the head gave the run up when the node was lost, or a crash lost the job's
   * state. The run goes on there (as running), nothing runs twice.
   */
  | { type: 'adopt'; node: string; runId: string; attempt: number; now: number }
  /**
   * At start-up: the archive holds a result of this job from run `runId` (its result.json is written
   * before the node is told), so the job is done with it, whatever the coalesced store had time to
   * write.
   */
  | { type: 'recover'; result: JobResult; node: string; runId: string | null; attempt: number; times: { startedAt: number | null; endedAt: number; runMs: number } };

/** A run's start, end and run time (wall time minus paused time) as its node measured them. */
export interface RunTimes { startedAt: number; endedAt: number; runMs: number }

export type TransitionResult = { ok: true; job: Job } | { ok: false; error: string };

/** Outcomes `retry` may run again: the run failed (exit code, signal, spawn) or was cancelled. */
export function isRetryable(result: JobResult): boolean {
  return result.outcome === 'failed' || result.outcome === 'killed' || result.outcome === 'spawn-failed' || result.outcome === 'cancelled' || result.outcome === 'rejected';
}

/** Outcomes that count as a failed run (for `retry --failed`); a job no node would take counts too. */
export function isFailure(result: JobResult): boolean {
  return result.outcome === 'failed' || result.outcome === 'killed' || result.outcome === 'spawn-failed' || result.outcome === 'rejected';
}

function reject(job: Job, event: JobEvent): TransitionResult {
  return { ok: false, error: `job ${job.name}: cannot ${event.type} while ${job.status.state}` };
}

function ok(job: Job, status: JobState, patch: Partial<Job> = {}): TransitionResult {
  return { ok: true, job: { ...job, ...patch, status } };
}

function runMsOf(status: JobState, now: number): number {
  if (status.state === 'running') return Math.max(0, now - status.startedAt - status.pausedMs);
  if (status.state === 'paused') return Math.max(0, status.pausedAt - status.startedAt - status.pausedMs);
  return 0;
}

/** Apply `event` to `job`. Pure: returns a new job or an error naming the impossible move. */
export function transition(job: Job, event: JobEvent): TransitionResult {
  const s = job.status;
  switch (event.type) {
    case 'assign':
      if (s.state !== 'queued') return reject(job, event);
      return ok(job, { state: 'assigned', node: event.node, runId: event.runId, attempt: job.attempts + 1, at: event.now }, { attempts: job.attempts + 1 });

    case 'start':
      if (s.state === 'assigned' && s.runId === event.runId)
        return ok(job, { state: 'running', node: s.node, runId: s.runId, attempt: s.attempt, startedAt: event.now, pausedMs: 0 });
      return reject(job, event);

    case 'pause':
      if (s.state === 'running' && s.runId === event.runId)
        return ok(job, { ...s, state: 'paused', pausedAt: event.now, until: event.until });
      if (s.state === 'paused' && s.runId === event.runId)
        return ok(job, { ...s, until: event.until }); // extending a pause
      return reject(job, event);

    case 'resume':
      if (s.state === 'paused' && s.runId === event.runId)
        return ok(job, {
          state: 'running', node: s.node, runId: s.runId, attempt: s.attempt, startedAt: s.startedAt,
          pausedMs: s.pausedMs + Math.max(0, event.now - s.pausedAt),
        });
      return reject(job, event);

    case 'finish': {
      // A result from the run the job holds, or from an earlier run of a node that was lost
      // meanwhile while the job has no result yet. Such a stale run wins only with a success
      // (first to finish wins); a stale failure is refused, so it never ends a live run that may
      // still succeed, and a job waiting in the queue simply runs again. (Whether the reporter
      // may speak for that run at all is the head's run lease, checked before.)
      if (s.state === 'done') return reject(job, event);
      const holds = (s.state === 'running' || s.state === 'paused' || s.state === 'assigned') && s.runId === event.runId;
      const stale = !holds;
      const startedAt = (s.state === 'running' || s.state === 'paused') && holds ? s.startedAt : null;
      const runMs = holds ? runMsOf(s, event.now) : 0;
      const failed = event.result.outcome === 'failed' || event.result.outcome === 'killed' || event.result.outcome === 'spawn-failed';
      if (failed && stale) return { ok: false, error: `job ${job.name}: a failed earlier run (${event.runId}, attempt ${event.attempt} on ${event.node}) does not end the job while ${s.state}` };
      // A command that cannot be spawned (a NUL byte, a command line over the OS limit, a missing
      // program) fails the same way on every try: it ends at once instead of using up retries.
      if (failed && event.result.outcome !== 'spawn-failed' && job.retries < event.maxRetries)
        return ok(job, { state: 'queued', since: event.now }, { retries: job.retries + 1 });
      const times = event.times ?? { startedAt, endedAt: event.now, runMs };
      return ok(job, { state: 'done', result: event.result, node: event.node, runId: event.runId, attempt: event.attempt, ...times });
    }

    case 'lose':
      if ((s.state === 'assigned' || s.state === 'running' || s.state === 'paused') && s.runId === event.runId)
        return ok(job, { state: 'queued', since: event.now });
      return reject(job, event);

    case 'hand-back': {
      if (!((s.state === 'assigned' || s.state === 'running' || s.state === 'paused') && s.runId === event.runId))
        return reject(job, event);
      if (event.counted === false) return ok(job, { state: 'queued', since: event.now });
      const handBacks = (job.handBacks ?? 0) + 1;
      if (handBacks < event.maxHandBacks) return ok(job, { state: 'queued', since: event.now }, { handBacks });
      return ok(job, {
        state: 'done', result: { outcome: 'rejected', message: `handed back or rejected ${handBacks} times; last: ${event.reason}` },
        node: s.node, runId: s.runId, attempt: s.attempt, startedAt: s.state === 'assigned' ? null : s.startedAt, endedAt: event.now, runMs: runMsOf(s, event.now),
      }, { handBacks });
    }

    case 'cancel':
      if (s.state === 'done') return reject(job, event);
      return ok(job, {
        state: 'done', result: { outcome: 'cancelled', by: event.by },
        node: s.state === 'queued' ? null : s.node, runId: s.state === 'queued' ? null : s.runId, attempt: job.attempts,
        startedAt: s.state === 'running' || s.state === 'paused' ? s.startedAt : null,
        endedAt: event.now, runMs: runMsOf(s, event.now),
      });

    case 'retry':
      if (s.state !== 'done' || !isRetryable(s.result)) return reject(job, event);
      return ok(job, { state: 'queued', since: event.now }, { retries: 0, handBacks: 0 });

    case 'adopt':
      if (s.state !== 'queued') return reject(job, event);
      return ok(job, { state: 'running', node: event.node, runId: event.runId, attempt: event.attempt, startedAt: event.now, pausedMs: 0 },
        { attempts: Math.max(job.attempts, event.attempt) });

    case 'recover':
      if (s.state === 'done') return reject(job, event);
      return ok(job, { state: 'done', result: event.result, node: event.node, runId: event.runId, attempt: event.attempt, ...event.times });

    case 'build-failed':
      if (s.state !== 'queued') return reject(job, event);
      return ok(job, { state: 'done', result: { outcome: 'build-failed', message: event.message }, node: null, runId: null, attempt: job.attempts, startedAt: null, endedAt: event.now, runMs: 0 });
  }
}
