/**
 * Hears from the head when batches end, through its user event stream (`GET /api/events`,
 * `batch-ended` events), so `distribute wait` returns as soon as a batch ends instead of on its
 * next poll. Only a hint: a stream that cannot be opened or drops (an older head, a restart, a
 * batch of another user, whose events this user does not receive) just never tells, and the
 * caller's polling decides.
 */
import type { HeadClient } from '../shared/api/head-client.ts';
import { endedBatchId, takeSseEvents } from '../shared/protocol/sse.ts';

/** A followed event stream. */
export interface BatchEndWatch {
  /**
   * Resolves true once the stream is open (every batch that ends from then on is told), false
   * when it could not be opened.
   */
  readonly opened: Promise<boolean>;
  /** Resolves when the head said batch `id` ended (also if it said so before this call); never when the stream failed. */
  ended(id: string): Promise<void>;
  /** Drops the stream; pending `ended` promises stay unresolved. */
  close(): void;
}

/** Follows `client`'s head's event stream until `close()`. Never rejects, never throws. */
export function watchBatchEnds(client: HeadClient): BatchEndWatch {
  const abort = new AbortController();
  const seen = new Set<string>();
  /** Per batch id waited for: its promise and what resolves it. */
  const waiting = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  let resolveOpened: (ok: boolean) => void = () => {};
  const opened = new Promise<boolean>((resolve) => { resolveOpened = resolve; });

  const told = (id: string) => {
    seen.add(id);
    waiting.get(id)?.resolve();
  };

  void (async () => {
    const r = await client.events(abort.signal);
    if (!r.ok) {
      resolveOpened(false);
      return;
    }
    resolveOpened(true);
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of r.value.body) {
      buffer += decoder.decode(chunk, { stream: true });
      const { events, rest } = takeSseEvents(buffer);
      buffer = rest;
      for (const data of events) {
        const id = endedBatchId(data);
        if (id !== null) told(id);
      }
    }
  })().catch(() => resolveOpened(false)); // aborted, or the head went away: polling decides

  return {
    opened,
    ended(id) {
      if (seen.has(id)) return Promise.resolve();
      let w = waiting.get(id);
      if (!w) {
        let resolve: () => void = () => {};
        const promise = new Promise<void>((r) => { resolve = r; });
        w = { promise, resolve };
        waiting.set(id, w);
      }
      return w.promise;
    },
    close() {
      abort.abort();
      waiting.clear();
    },
  };
}
