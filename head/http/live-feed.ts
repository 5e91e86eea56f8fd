/**
 * The dashboard's live updates (`GET /api/events?live`): instead of polling the whole status, the
 * page loads it once and then receives `live` frames on the event stream. Changes are gathered
 * for `delayMs` and sent as one frame: the summaries of the changed batches the caller may read
 * (or their ids when removed), the changed jobs' views, and the running jobs, nodes and jobs held
 * per node (small lists, sent whole). A burst of changes (a 10,000-job batch finishing) becomes a
 * few frames a second, and at most `maxJobs` job views per frame (more: `reload`). The first frame
 * comes at once and carries every readable batch. A frame looks jobs up through the batch's job
 * index and walks only the jobs held by nodes, never a whole batch's jobs per changed job (a
 * dashboard open during a 10,000-job run cost the head ~10 ms of CPU per frame that way).
 */
import type { Response } from 'express';
import { heldPerNode } from '../core/activity.ts';
import { canRead } from '../core/batch-access.ts';
import type { Cluster } from '../core/cluster.ts';
import { batchView, jobView, nodeViews, runningJobs } from '../core/views.ts';
import type { BatchDoc, Principal } from '../state/types.ts';

/** SSE event name of the dashboard's frames (the tray listens only to `distribute`). */
export const LIVE_EVENT_NAME = 'live';

export interface LiveFeedOptions {
  delayMs?: number;
  maxJobs?: number;
  now?: () => number;
  /** The archive disk's state (free space, ok/low/full), sent with every frame. */
  archive?: () => unknown;
}

/** Follow the cluster for one connection; returns the function that stops following. */
export function followLive(cluster: Cluster, principal: Principal, res: Response, opts: LiveFeedOptions = {}): () => void {
  const delayMs = opts.delayMs ?? 250;
  const maxJobs = opts.maxJobs ?? 500;
  const now = opts.now ?? Date.now;
  const batches = new Set<string>();
  const jobs = new Map<string, Set<string>>();
  let timer: NodeJS.Timeout | null = null;
  const visible = (d: BatchDoc) => canRead(principal, d);

  const flush = () => {
    timer = null;
    const t = now();
    const frame: Record<string, unknown> = { type: 'live', now: t, batches: [], removed: [], jobs: [] };
    let count = 0;
    for (const id of new Set([...batches, ...jobs.keys()])) {
      const doc = cluster.book.batches.get(id);
      if (!doc) { (frame.removed as string[]).push(id); continue; }
      if (!visible(doc) || doc.record.phase === 'uploading') continue;
      (frame.batches as unknown[]).push(batchView(doc, cluster.book.index(doc).counts()));
      for (const name of jobs.get(id) ?? []) {
        const i = cluster.book.position(doc, name);
        const job = i >= 0 ? doc.jobs[i] : undefined;
        if (job && ++count <= maxJobs) (frame.jobs as unknown[]).push({ batchId: id, ...jobView(job, t) });
      }
    }
    if (count > maxJobs) frame.reload = true;
    frame.running = runningJobs(cluster, t, visible);
    frame.nodes = nodeViews(cluster, visible);
    frame.held = heldPerNode(cluster.book.batches.values(), (doc) => cluster.book.index(doc).activePositions());
    if (opts.archive) frame.archive = opts.archive();
    batches.clear();
    jobs.clear();
    res.write(`event: ${LIVE_EVENT_NAME}\ndata: ${JSON.stringify(frame)}\n\n`);
  };
  const soon = () => { timer ??= setTimeout(flush, delayMs); };
  const onJob = (e: { batchId: string; job: string }) => {
    let set = jobs.get(e.batchId);
    if (!set) jobs.set(e.batchId, (set = new Set()));
    set.add(e.job);
    soon();
  };
  const onBatch = (e: { batchId: string }) => { batches.add(e.batchId); soon(); };
  const onNode = () => soon();
  cluster.events.on('job:changed', onJob);
  cluster.events.on('batch:changed', onBatch);
  cluster.events.on('batch:ended', onBatch);
  cluster.events.on('node:changed', onNode);
  // The archive disk filling or freeing changes no job or node, but the frames carry its state.
  cluster.events.on('archive:changed', onNode);
  // The first frame right away, with every batch: nothing changed between the page's status
  // request and this stream is missed.
  for (const doc of cluster.book.batches.values()) batches.add(doc.record.id);
  soon();
  return () => {
    if (timer) clearTimeout(timer);
    timer = null;
    cluster.events.off('job:changed', onJob);
    cluster.events.off('batch:changed', onBatch);
    cluster.events.off('batch:ended', onBatch);
    cluster.events.off('node:changed', onNode);
    cluster.events.off('archive:changed', onNode);
  };
}
