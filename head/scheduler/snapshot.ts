/**
 * What the pure scheduler sees of the head's live state: free nodes with what they built or
 * failed to build, active batches with their first queued jobs, and jobs held per owner.
 */
import type { BatchDoc } from '../state/types.ts';
import type { JobIndex } from '../core/job-index.ts';
import { isFree, type LiveNode } from '../core/live-node.ts';
import type { SchedulerState } from './types.ts';

/**
 * `held` (after a head restart) names queued jobs a node not yet back may still run: they are
 * left out, so they wait for that node while the others are scheduled.
 */
export function schedulerSnapshot(batches: Iterable<BatchDoc>, indexOf: (doc: BatchDoc) => JobIndex, liveNodes: Iterable<LiveNode>, held?: (batchId: string, job: string) => boolean): SchedulerState {
  const active = [...batches].filter((doc) => doc.record.phase === 'active');
  const buildFailed = new Map<string, string[]>();
  for (const doc of active) {
    for (const node of Object.keys(doc.record.buildFailures)) buildFailed.set(node, [...(buildFailed.get(node) ?? []), doc.record.id]);
  }
  const nodes = [...liveNodes].map((n) => ({
    id: n.record.name,
    capabilities: n.record.capabilities,
    free: isFree(n),
    built: n.record.built,
    buildFailed: buildFailed.get(n.record.name) ?? [],
    lastBatch: n.record.lastBatch,
  }));
  // One call assigns at most one job per free node, so each batch needs to show only that many.
  const free = nodes.filter((n) => n.free).length;
  const runningByOwner: Record<string, number> = {};
  const out = [];
  for (const doc of active) {
    const index = indexOf(doc);
    if (index.activeCount()) runningByOwner[doc.record.owner] = (runningByOwner[doc.record.owner] ?? 0) + index.activeCount();
    if (!index.queuedCount() || !free) continue;
    const queued = held
      ? index.firstQueued(index.queuedCount()).filter((job) => !held(doc.record.id, job)).slice(0, free)
      : index.firstQueued(free);
    if (!queued.length) continue;
    out.push({
      id: doc.record.id, owner: doc.record.owner, createdAt: doc.record.submittedAt ?? doc.record.createdAt,
      capabilities: doc.spec.capabilities, resources: doc.spec.resources, queued,
    });
  }
  return { nodes, batches: out, runningByOwner };
}
