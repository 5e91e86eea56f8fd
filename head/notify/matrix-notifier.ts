/**
 * Tells a batch's Matrix user that the batch ended, without ever getting in the head's way:
 * `notify()` only queues and returns; a background loop sends one message at a time, retrying
 * failures with growing delays, logging every failure and the final give-up. A homeserver that is
 * down, slow, or answering 500 costs the head nothing but log lines.
 *
 * Each message gets one transaction id when queued and keeps it through all retries, so a send
 * the server committed but whose answer was lost is not posted twice.
 */
import { randomBytes } from 'node:crypto';
import { formatDuration } from '../../shared/format.ts';
import { formatBatchMessage, type BatchSummary } from './batch-summary.ts';
import { MatrixClient, type MatrixFailure, type MessageContent } from './matrix-client.ts';
import { loadMatrixConfig, type MatrixConfig } from './matrix-config.ts';

/** Waits between attempts: the first retry after 1 s, the last after 10 min (6 attempts in all). */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [1_000, 5_000, 30_000, 120_000, 600_000];

export interface MatrixNotifierOptions {
  /** One line per event worth an operator's eye (sent, failed and why, gave up, skipped). */
  log: (line: string) => void;
  /** Delay before each retry; attempts = length + 1. Defaults to {@link DEFAULT_RETRY_DELAYS_MS}. */
  retryDelaysMs?: readonly number[];
  /** Clock for scheduling retries and transaction ids (injected by tests). */
  now?: () => number;
  /** Transport override for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Per-request timeout in ms (default 30 s). */
  requestTimeoutMs?: number;
}

/** The head's handle on Matrix notifications. */
export interface MatrixNotifier {
  /** Queues a message about a batch that ended. Returns at once; never throws. */
  notify(summary: BatchSummary): void;
  /** Resolves when nothing is queued, waiting for a retry or being sent (for tests and shutdown). */
  idle(): Promise<void>;
  /**
   * Checks the credentials now (login if needed, then whoami), so a wrong password shows at head
   * start instead of when the first batch ends. Never throws; the head should log a failure and
   * keep running (messages are still attempted later).
   */
  check(): Promise<{ ok: true; userId: string } | { ok: false; error: string }>;
  /** Stops sending: pending messages are dropped (logged), requests in flight aborted. */
  close(): void;
}

interface Pending {
  summary: BatchSummary;
  user: string;
  content: MessageContent;
  txnId: string;
  /** Attempts made so far. */
  attempts: number;
  /** Earliest time (by `now()`) of the next attempt. */
  dueAt: number;
}

/**
 * Starts a notifier for the account in `config`. The head calls `notify(summary)` when a batch
 * finishes, fails to build, or is cancelled.
 */
export function createMatrixNotifier(config: MatrixConfig, opts: MatrixNotifierOptions): MatrixNotifier {
  const log = (line: string) => {
    try {
      opts.log(line);
    } catch {
      // A broken logger must not turn into a crash of the head.
    }
  };
  const now = opts.now ?? Date.now;
  const delays = opts.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  const maxAttempts = delays.length + 1;
  const client = new MatrixClient(config, { fetch: opts.fetch, timeoutMs: opts.requestTimeoutMs, log });
  const queue: Pending[] = [];
  let running = false;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let idleWaiters: Array<() => void> = [];
  let txnCounter = 0;
  // Unique per head process and message; the random part keeps ids distinct across restarts that
  // reuse the same device (whose txn ids the server remembers).
  const txnPrefix = `distribute.${randomBytes(6).toString('hex')}`;

  const label = (p: Pending) => `batch ${p.summary.namespace}/${p.summary.batch}`;

  function settleIdle(): void {
    if (queue.length > 0 || running) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  function schedule(): void {
    if (closed || running) return;
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (queue.length === 0) {
      settleIdle();
      return;
    }
    const next = Math.min(...queue.map((p) => p.dueAt));
    const wait = Math.max(0, next - now());
    timer = setTimeout(() => {
      timer = undefined;
      void pump(true);
    }, wait);
    // The head's own server keeps the process alive; a pending retry alone should not, unless
    // someone awaits idle() (then the retry is what they wait for).
    if (idleWaiters.length === 0) timer.unref();
  }

  /**
   * Sends every due message, one at a time, then sleeps until the next one is due. Woken by the
   * retry timer, the earliest message counts as due even if the injected clock has not moved (the
   * timer already measured the wait).
   */
  async function pump(timerFired = false): Promise<void> {
    if (running || closed) return;
    running = true;
    try {
      let wakeEarliest = timerFired;
      for (;;) {
        if (closed) return;
        const t = now();
        const byDue = [...queue].sort((a, b) => a.dueAt - b.dueAt);
        const due = byDue.find((p) => p.dueAt <= t) ?? (wakeEarliest ? byDue[0] : undefined);
        wakeEarliest = false;
        if (due === undefined) break;
        await attempt(due);
      }
    } catch (err) {
      // attempt() catches everything; this is the last net against a bug taking the head down.
      log(`matrix: notifier error (bug): ${(err as Error)?.stack ?? err}`);
    } finally {
      running = false;
    }
    schedule();
  }

  async function attempt(p: Pending): Promise<void> {
    p.attempts += 1;
    let failure: MatrixFailure;
    try {
      const sent = await client.sendToUser(p.user, p.content, p.txnId);
      if (sent.ok) {
        remove(p);
        log(`matrix: told ${p.user} about ${label(p)} (${p.summary.outcome}) in ${sent.value.roomId}, event ${sent.value.eventId}` +
          (p.attempts > 1 ? ` after ${p.attempts} attempts` : ''));
        return;
      }
      failure = sent.failure;
    } catch (err) {
      failure = { reason: `unexpected error: ${(err as Error)?.message ?? err}`, retryable: true };
    }
    if (closed) return;
    const attemptText = `attempt ${p.attempts}/${maxAttempts}`;
    if (!failure.retryable || p.attempts >= maxAttempts) {
      remove(p);
      const why = failure.retryable ? `after ${p.attempts} attempts` : 'not retrying, this will not fix itself';
      log(`matrix: giving up telling ${p.user} about ${label(p)} (${attemptText} failed: ${failure.reason}); ${why}`);
      return;
    }
    const delay = Math.max(delays[p.attempts - 1], failure.retryAfterMs ?? 0);
    p.dueAt = now() + delay;
    log(`matrix: telling ${p.user} about ${label(p)} failed (${attemptText}): ${failure.reason}; retrying in ${formatDuration(delay, { units: 2, ms: true })}`);
  }

  function remove(p: Pending): void {
    const i = queue.indexOf(p);
    if (i >= 0) queue.splice(i, 1);
  }

  return {
    notify(summary) {
      try {
        const name = `${summary.namespace}/${summary.batch}`;
        if (closed) {
          log(`matrix: notifier closed; not telling anyone about batch ${name}`);
          return;
        }
        const user = summary.matrixUser?.trim();
        if (!user) {
          log(`matrix: batch ${name} names no Matrix user (meta.matrix); no message`);
          return;
        }
        if (!/^@[^:\s]+:\S+$/.test(user)) {
          log(`matrix: batch ${name} names '${user}' as Matrix user, which is not a user id like @name:server; no message`);
          return;
        }
        const message = formatBatchMessage(summary);
        const content: MessageContent = { msgtype: 'm.text', body: message.body };
        // m.text, not m.notice: the default push rules silence notices, and this message exists
        // to reach the user's phone.
        if (message.formatted !== undefined) {
          content.format = 'org.matrix.custom.html';
          content.formatted_body = message.formatted;
        }
        txnCounter += 1;
        queue.push({ summary, user, content, txnId: `${txnPrefix}.${now()}.${txnCounter}`, attempts: 0, dueAt: now() });
        // Deferred so notify() returns before any work (and any synchronous throw) happens.
        setImmediate(() => void pump());
      } catch (err) {
        log(`matrix: could not queue a message: ${(err as Error)?.message ?? err}`);
      }
    },

    async check() {
      try {
        const res = await client.whoami();
        return res.ok ? { ok: true as const, userId: res.value } : { ok: false as const, error: `Matrix account ${config.userId} on ${config.homeserver}: ${res.failure.reason}` };
      } catch (err) {
        return { ok: false as const, error: `Matrix check failed: ${(err as Error)?.message ?? err}` };
      }
    },

    idle() {
      if (queue.length === 0 && !running) return Promise.resolve();
      timer?.ref();
      return new Promise<void>((resolve) => idleWaiters.push(resolve));
    },

    close() {
      if (closed) return;
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      if (queue.length > 0) log(`matrix: closing with ${queue.length} message(s) not delivered`);
      queue.length = 0;
      client.close();
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const resolve of waiters) resolve();
    },
  };
}

/**
 * `--matrix-config FILE` in one call: loads and validates the file, then starts a notifier.
 * An invalid file is an error value (the head should refuse to start, exit code 2); a homeserver
 * that is unreachable is not (it is only found out when sending, or with `check()`).
 */
export async function loadMatrixNotifier(path: string, opts: MatrixNotifierOptions): Promise<{ ok: true; notifier: MatrixNotifier } | { ok: false; error: string }> {
  const loaded = await loadMatrixConfig(path);
  if (!loaded.ok) return loaded;
  return { ok: true, notifier: createMatrixNotifier(loaded.config, opts) };
}
