/**
 * The tray's side of the head's user event stream (`GET /api/events`, server-sent events):
 * follows it with the user's token, reconnecting with backoff when the head restarts or the
 * network drops, and turns `batch-ended` events into desktop notifications through the pure
 * rule in notification-rules.ts. No Electron import: it runs (and is tested) in plain Node.
 *
 * How main.ts wires it (after settings are loaded, and again when they change):
 *   const events = startBatchNotifications({ headUrl, token: userToken, context: () => ({ me, enabled, alreadyNotified: notified }), show: report, remember: (k) => notified.add(k) });
 *   ...; events.close();
 */
import { Backoff } from '../agent/backoff.ts';
import { decodeUserEvent, EVENTS_PATH, takeSseEvents, type UserEvent } from '../../shared/protocol/index.ts';

export { takeSseEvents };
import { notificationKey, shouldNotify, type NotifyContext } from './notification-rules.ts';
import { showNotification } from './notifier.ts';

export type StreamState = { state: 'connected' } | { state: 'disconnected'; reason: string; retryInMs: number };

export interface FollowOptions {
  headUrl: string;
  /** The user's token on the head (not the agent join token: agents may not read user events). */
  token: string;
  onEvent: (event: UserEvent) => void;
  onState?: (state: StreamState) => void;
  /** Injected for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
  backoff?: Backoff;
}

export interface Follower {
  close(): void;
}

/** Follow the event stream until `close()`; never throws, reconnects forever. */
export function followHeadEvents(opts: FollowOptions): Follower {
  const doFetch = opts.fetch ?? fetch;
  const backoff = opts.backoff ?? new Backoff(500, 30_000);
  let closed = false;
  let abort: AbortController | null = null;
  let timer: NodeJS.Timeout | null = null;

  const url = new URL(EVENTS_PATH, opts.headUrl).toString();

  async function once(): Promise<string> {
    abort = new AbortController();
    const res = await doFetch(url, { headers: { authorization: `Bearer ${opts.token}`, accept: 'text/event-stream' }, signal: abort.signal });
    if (!res.ok || !res.body) {
      const text = await res.text().catch(() => '');
      let message = `HTTP ${res.status}`;
      try {
        message = (JSON.parse(text) as { error?: string }).error ?? message;
      } catch { /* not JSON */ }
      return message;
    }
    backoff.reset();
    opts.onState?.({ state: 'connected' });
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      const { events, rest } = takeSseEvents(buffer);
      buffer = rest;
      for (const data of events) {
        const decoded = decodeUserEvent(data);
        if (decoded.ok && decoded.event) opts.onEvent(decoded.event);
      }
    }
    return 'the head closed the event stream';
  }

  async function loop(): Promise<void> {
    if (closed) return;
    let reason: string;
    try {
      reason = await once();
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause;
      reason = cause?.code ?? (err as Error).message;
    }
    if (closed) return;
    const retryInMs = backoff.next();
    opts.onState?.({ state: 'disconnected', reason, retryInMs });
    timer = setTimeout(() => void loop(), retryInMs);
  }

  void loop();
  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      abort?.abort();
    },
  };
}

export interface BatchNotificationOptions {
  headUrl: string;
  token: string;
  /** Read at each event, so setting changes apply without reconnecting. */
  context: () => NotifyContext;
  /** Show the notification; default: a desktop notification through node-notifier (notifier.ts). */
  show?: (title: string, message: string) => void;
  /** Record that a notification was shown (the set behind `context().alreadyNotified`). */
  remember: (key: string) => void;
  onState?: (state: StreamState) => void;
  fetch?: typeof fetch;
}

/** Follow the stream and show a notification for each batch-ended event the rule allows. */
export function startBatchNotifications(opts: BatchNotificationOptions): Follower {
  return followHeadEvents({
    headUrl: opts.headUrl, token: opts.token, onState: opts.onState, fetch: opts.fetch,
    onEvent: (event) => {
      if (event.type !== 'batch-ended') return;
      const decision = shouldNotify(event, opts.context());
      if (!decision.notify) return;
      opts.remember(notificationKey(event));
      if (opts.show) opts.show(decision.title, decision.message);
      else void showNotification(decision.title, decision.message);
    },
  });
}
