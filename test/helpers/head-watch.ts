/**
 * Waiting on the head's events instead of polling it: {@link watchHead} follows the head's live
 * feed (`GET /api/events?live`, head/http/live-feed.ts, the stream the dashboard uses) as the
 * admin, keeps the latest view of every batch, job, running job and node it has seen, and
 * {@link HeadWatch.until} resolves as soon as a typed predicate over that view holds. Each change
 * on the head arrives as a frame within ~250 ms, whatever the machine's load, so a test waits
 * exactly as long as the head takes, without spawning a CLI or a request per poll; the timeout
 * is only a last resort (generous, for a loaded CI machine) and its error shows what was seen.
 */
import { EVENTS_PATH } from '../../shared/api/routes.ts';
import type { ArchiveDisk, BatchView, JobView, NodeView, RunningJob } from '../../shared/api/head-api.ts';
import type { UserEvent } from '../../shared/protocol/events.ts';

/** One `live` frame of head/http/live-feed.ts. */
export interface LiveFrame {
  type: 'live';
  now: number;
  batches: BatchView[];
  removed: string[];
  jobs: (JobView & { batchId: string })[];
  running: RunningJob[];
  nodes: NodeView[];
  archive?: ArchiveDisk;
  reload?: boolean;
}

/** What the watch has seen so far: the latest of everything. */
export interface HeadView {
  /** By batch id. */
  batches: Map<string, BatchView>;
  /** Latest view of each job that changed since the watch began, by `${batchId}/${job}`. */
  jobs: Map<string, JobView & { batchId: string }>;
  running: RunningJob[];
  nodes: NodeView[];
  /** The archive disk's state (free space, ok/low/full). */
  archive: ArchiveDisk | null;
  /** `batch-ended` user events, in order. */
  ended: Extract<UserEvent, { type: 'batch-ended' }>[];
  frames: number;
}

/** A value, or nothing yet. */
type Maybe<T> = T | undefined | null | false;

/** A running subscription to the head's live feed. */
export interface HeadWatch {
  readonly view: HeadView;
  /** The node called `name` as last seen. */
  node(name: string): NodeView | undefined;
  /** The job as last seen (only jobs that changed since the watch began). */
  job(batchId: string, name: string): (JobView & { batchId: string }) | undefined;
  /**
   * Resolves with the first truthy value of `pick` (tried now and after every frame); rejects
   * after `timeoutMs` with `what` and the view last seen.
   */
  until<T>(pick: (view: HeadView) => Maybe<T>, what: string, timeoutMs?: number): Promise<T>;
  close(): void;
}

/** Default wait: long, because it only matters when something is wrong. */
const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * Subscribes to `head`'s live feed; resolves once the first frame (every batch, every node) is in.
 */
export async function watchHead(head: { url: string; adminToken: string }): Promise<HeadWatch> {
  const view: HeadView = { batches: new Map(), jobs: new Map(), running: [], nodes: [], archive: null, ended: [], frames: 0 };
  const waiters = new Set<() => void>();
  const abort = new AbortController();
  const res = await fetch(`${head.url}${EVENTS_PATH}?live`, { headers: { authorization: `Bearer ${head.adminToken}` }, signal: abort.signal });
  if (!res.ok || !res.body) throw new Error(`live feed refused: HTTP ${res.status}`);
  let closed = false;
  let failure: Error | null = null;

  const apply = (event: string, data: string) => {
    if (event === 'live') {
      const f = JSON.parse(data) as LiveFrame;
      for (const b of f.batches) view.batches.set(b.id, b);
      for (const id of f.removed) view.batches.delete(id);
      for (const j of f.jobs) view.jobs.set(`${j.batchId}/${j.name}`, j);
      view.running = f.running;
      view.nodes = f.nodes;
      view.archive = f.archive ?? null;
      view.frames++;
    } else if (event === 'distribute') {
      const e = JSON.parse(data) as UserEvent;
      if (e.type === 'batch-ended') view.ended.push(e);
    } else {
      return;
    }
    for (const wake of [...waiters]) wake();
  };

  const firstFrame = new Promise<void>((resolve) => waiters.add(function first() {
    if (view.frames > 0) { waiters.delete(first); resolve(); }
  }));

  void (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length) apply(event, data.join('\n'));
        }
      }
      if (!closed) failure = new Error('the head closed the live feed');
    } catch (err) {
      if (!closed) failure = err as Error;
    }
    for (const wake of [...waiters]) wake();
  })();
  await firstFrame;

  const describe = () => JSON.stringify({
    nodes: view.nodes.map((n) => ({ name: n.name, state: n.state })),
    running: view.running.map((r) => ({ name: r.name, state: r.state })),
    jobs: [...view.jobs.values()].map((j) => ({ name: j.name, state: j.state })),
    batches: [...view.batches.values()].map((b) => ({ name: b.name, phase: b.phase })),
    frames: view.frames,
  });

  return {
    view,
    node: (name) => view.nodes.find((n) => n.name === name),
    job: (batchId, name) => view.jobs.get(`${batchId}/${name}`),
    until<T>(pick: (v: HeadView) => Maybe<T>, what: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => done(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${describe()}`)), timeoutMs);
        const done = (err: Error | null, value?: T) => {
          clearTimeout(timer);
          waiters.delete(check);
          if (err) reject(err);
          else resolve(value as T);
        };
        const check = () => {
          let v: Maybe<T>;
          try {
            v = pick(view);
          } catch (err) {
            return done(err as Error);
          }
          if (v) return done(null, v);
          if (failure) done(new Error(`${failure.message} while waiting for ${what}; last seen: ${describe()}`));
        };
        waiters.add(check);
        check();
      });
    },
    close() {
      closed = true;
      abort.abort();
      waiters.clear();
    },
  };
}

/** Opens a watch on `head`, waits for `pick` (see {@link HeadWatch.until}) and closes it. */
export async function untilHead<T>(head: { url: string; adminToken: string }, pick: (view: HeadView) => Maybe<T>, what: string, timeoutMs?: number): Promise<T> {
  const watch = await watchHead(head);
  try {
    return await watch.until(pick, what, timeoutMs);
  } finally {
    watch.close();
  }
}
