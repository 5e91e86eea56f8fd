/**
 * The scheduler: a pure function from a snapshot of the cluster to the jobs to hand out now.
 * The head's loop builds the snapshot, calls `schedule`, and applies the assignments.
 */
import { checkCompatibility } from './compatibility.ts';
import type { Assignment, SchedulerBatch, SchedulerNode, SchedulerState } from './types.ts';

/**
 * Decides which queued jobs go to which free nodes right now.
 *
 * Ordering rule (docs/scheduling.md has a worked example):
 * 1. Free nodes are visited one at a time: first those that already built (or last ran) a batch
 *    that still has queued jobs, then the rest; ties by node id. Non-free nodes get nothing.
 * 2. For a node, the candidates are batches that have queued jobs left, whose tags and resource
 *    minimums the node covers, and whose build step has not failed on that node.
 * 3. Fairness: among the owners of the candidates, only those holding the fewest jobs are eligible.
 *    "Held" is assigned + running + paused jobs from `runningByOwner`, plus the assignments already
 *    made in this call, so several free nodes in one call are spread across owners.
 * 4. Sticky builds: if an eligible owner has a candidate batch this node last ran, or already
 *    built, the node takes that batch (last ran first, then the oldest built). Builds are expensive,
 *    so a node stays on its batch, but only while that batch's owner is among the least served.
 * 5. Otherwise the eligible owner with the oldest candidate batch wins, and the node takes that
 *    owner's oldest candidate batch (by createdAt, then batch id).
 * 6. The node gets the first remaining queued job of the chosen batch.
 *
 * Consequence: a user with 5 queued jobs and nothing running always outranks a user who holds
 * jobs, so the next node to free up (compatible with the small batch) starts it, within one
 * job-length of submission, however long the other user's queue is.
 *
 * Deterministic: the result depends only on the state's contents, not on the order of its arrays.
 */
export function schedule(state: SchedulerState): Assignment[] {
  const batches = [...state.batches].sort(byAge);
  const byId = new Map(batches.map((batch) => [batch.id, batch]));
  /** Index of the next queued job per batch: the state is never mutated. */
  const taken = new Map<string, number>();
  const held = new Map<string, number>(Object.entries(state.runningByOwner));
  const remaining = (batch: SchedulerBatch): number => batch.queued.length - (taken.get(batch.id) ?? 0);

  const assignments: Assignment[] = [];
  for (const node of nodeOrder(state.nodes, byId)) {
    const candidates = batches.filter(
      (batch) =>
        remaining(batch) > 0 &&
        !node.buildFailed.includes(batch.id) &&
        checkCompatibility(node.capabilities, batch).ok,
    );
    if (candidates.length === 0) continue;

    const batch = pick(node, candidates, held);
    const index = taken.get(batch.id) ?? 0;
    taken.set(batch.id, index + 1);
    held.set(batch.owner, (held.get(batch.owner) ?? 0) + 1);
    assignments.push({ nodeId: node.id, batchId: batch.id, job: batch.queued[index] });
  }
  return assignments;
}

/** Steps 3-5 of the rule for one node; `candidates` is non-empty and sorted oldest first. */
function pick(node: SchedulerNode, candidates: SchedulerBatch[], held: Map<string, number>): SchedulerBatch {
  const heldBy = (owner: string): number => held.get(owner) ?? 0;
  const least = Math.min(...candidates.map((batch) => heldBy(batch.owner)));
  const eligible = candidates.filter((batch) => heldBy(batch.owner) === least);

  const last = eligible.find((batch) => batch.id === node.lastBatch);
  if (last) return last;
  const built = eligible.find((batch) => node.built.includes(batch.id));
  if (built) return built;
  // Sorted oldest first, so the first eligible batch belongs to the owner with the oldest batch
  // and is that owner's oldest.
  return eligible[0];
}

/** Free nodes, warm ones (a built or last-run batch still has work) first, then by id. */
function nodeOrder(nodes: readonly SchedulerNode[], batches: Map<string, SchedulerBatch>): SchedulerNode[] {
  const hasWork = (id: string | null): boolean => (id === null ? false : (batches.get(id)?.queued.length ?? 0) > 0);
  const warm = (node: SchedulerNode): number => (hasWork(node.lastBatch) || node.built.some(hasWork) ? 0 : 1);
  return nodes
    .filter((node) => node.free)
    .sort((a, b) => warm(a) - warm(b) || compareStrings(a.id, b.id));
}

function byAge(a: SchedulerBatch, b: SchedulerBatch): number {
  return a.createdAt - b.createdAt || compareStrings(a.id, b.id);
}

/** Locale-independent string order, so the result does not depend on the head's locale. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
