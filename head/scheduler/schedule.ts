/**
 * The scheduler: a pure function from a snapshot of the cluster to the jobs to hand out now.
 * The head's loop builds the snapshot, calls `schedule`, and applies the assignments.
 */
import { addUsage, canHold, capacityOf, coresOf, fits, type Share, type Usage } from '../../shared/batch/request.ts';
import { checkCompatibility } from './compatibility.ts';
import type { Assignment, SchedulerBatch, SchedulerNode, SchedulerState } from './types.ts';

/** A node kept free of new work for one batch's next job (see {@link drainFor}). */
export interface Drain {
  nodeId: string;
  batchId: string;
}

/**
 * Decides which queued jobs go to which nodes right now.
 *
 * Ordering rule (docs/scheduling.md has worked examples):
 * 1. Accepting nodes are visited one at a time: first those that already built (or last ran) a
 *    batch that still has queued jobs, then the rest; ties by node id. Paused, leaving and
 *    disconnected nodes get nothing.
 * 2. For a node, the candidates are batches that have queued jobs left, whose tags and resource
 *    minimums the node covers, whose build step has not failed on that node, and whose next job's
 *    share fits beside what the node already runs (a job without a request needs an empty node).
 * 3. Fairness: among the owners of the candidates, only those holding the fewest cores are
 *    eligible. Held cores are those of assigned + running + paused jobs from `runningByOwner`
 *    (a whole-node job counts all its node's cores), plus the assignments already made in this
 *    call, so several free slots in one call are spread across owners.
 * 4. Sticky builds: if an eligible owner has a candidate batch this node last ran, or already
 *    built, the node takes that batch (last ran first, then the oldest built). Builds are expensive,
 *    so a node stays on its batch, but only while that batch's owner is among the least served.
 * 5. Otherwise the eligible owner with the oldest candidate batch wins, and the node takes that
 *    owner's oldest candidate batch (by createdAt, then batch id).
 * 6. The node gets the first remaining queued job of the chosen batch, and steps 2-6 repeat for
 *    the same node until nothing more fits on it.
 * 7. Big jobs are not starved: `state.drain` (from {@link planDrain}; computed with
 *    {@link drainFor} when absent) names at most one node drained for the job fairness serves next
 *    when that job fits on no node now. That node takes no other work until the job fits on it,
 *    and then takes it.
 * 8. A job in hand: once the regular work is placed, each node that may take one ahead
 *    (`node.ahead`: its agent keeps one, and none of its jobs in hand waits for room) takes, by
 *    steps 2-5, one job it could hold when empty (a drained node: only of the batch it
 *    is drained for), when that job's batch is `short` and its owner is among the least served
 *    of all the batches the node could take. It counts for fairness like an assigned job.
 *
 * Consequence: a user with 5 queued jobs and nothing running always outranks a user who holds
 * jobs, so the next slot to free up (compatible with the small batch) starts it, within one
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
  const usage = new Map<string, Usage>(state.nodes.map((node) => [node.id, node.usage]));
  const remaining = (batch: SchedulerBatch): number => batch.queued.length - (taken.get(batch.id) ?? 0);
  const nextShare = (batch: SchedulerBatch): Share | null => shareOfJob(batch, batch.queued[taken.get(batch.id) ?? 0]);

  const nodes = nodeOrder(state.nodes, byId);
  const drain = state.drain !== undefined ? state.drain : drainFor(nodes, batches, state.runningByOwner);
  const assignments: Assignment[] = [];
  for (const node of nodes) {
    const capacity = capacityOf(node.capabilities);
    // Tags, minimums and failed builds do not change within the call: check them once per node.
    const able = batches.filter((batch) => !node.buildFailed.includes(batch.id) && checkCompatibility(node.capabilities, batch).ok);
    // A drained node takes only its batch's job; once that job is placed it packs as usual.
    let drained = drain?.nodeId === node.id;
    for (;;) {
      const used = usage.get(node.id) as Usage;
      const candidates = able.filter((batch) => (!drained || batch.id === drain?.batchId) && remaining(batch) > 0 && fits(capacity, used, nextShare(batch)));
      if (candidates.length === 0) break;
      const batch = pick(node, candidates, held);
      const index = taken.get(batch.id) ?? 0;
      const job = batch.queued[index];
      const share = shareOfJob(batch, job);
      taken.set(batch.id, index + 1);
      held.set(batch.owner, (held.get(batch.owner) ?? 0) + coresOf(share, capacity));
      usage.set(node.id, addUsage(used, share, capacity));
      assignments.push({ nodeId: node.id, batchId: batch.id, job });
      drained = false;
    }
  }
  for (const node of nodes) {
    if (!node.ahead) continue;
    const capacity = capacityOf(node.capabilities);
    // A drained node may hold in hand only the job it is drained for.
    const drained = drain?.nodeId === node.id;
    const able = batches.filter((batch) => remaining(batch) > 0 && (!drained || batch.id === drain?.batchId) && !node.buildFailed.includes(batch.id)
      && checkCompatibility(node.capabilities, batch).ok && canHold(capacity, nextShare(batch)));
    // Fairness first: only a short batch of an owner among the least served gets into a hand (a
    // long batch of a less served owner waits for the next free node, as it would without hands).
    const least = Math.min(...able.map((batch) => held.get(batch.owner) ?? 0));
    const candidates = able.filter((batch) => batch.short && (held.get(batch.owner) ?? 0) === least);
    if (candidates.length === 0) continue;
    const batch = pick(node, candidates, held);
    const index = taken.get(batch.id) ?? 0;
    const job = batch.queued[index];
    taken.set(batch.id, index + 1);
    held.set(batch.owner, (held.get(batch.owner) ?? 0) + coresOf(shareOfJob(batch, job), capacity));
    assignments.push({ nodeId: node.id, batchId: batch.id, job, ahead: true });
  }
  return assignments;
}

/**
 * The drain rule, for jobs that need more than any node has free right now (a whole-node job
 * behind a stream of 1-core jobs, or a 16-core job on nodes filled with small ones):
 *
 * Take the owner fairness would serve first (fewest held cores, then the oldest batch) among the
 * owners with a queued job that some accepting node could hold when empty, and that owner's oldest
 * such batch. If that batch's next job fits on no accepting node now, the node that could hold it
 * with the fewest cores in use (ties: lowest id) is drained for it: it takes no other work, so it
 * empties as its runs end, and the job starts there as soon as it fits.
 *
 * Returns null when the job fits somewhere already (ordinary scheduling places it) or no owner
 * has runnable work. While every job takes a whole node this never changes what is assigned: a
 * drain starts only when every node is busy, and the next node to free is empty anyway.
 */
export function drainFor(nodes: readonly SchedulerNode[], batches: readonly SchedulerBatch[], heldCores: Record<string, number>): Drain | null {
  const owners = runnableByOwner(nodes, batches);
  const held = (owner: string): number => heldCores[owner] ?? 0;
  const first = [...owners.values()].sort((x, y) => held(x.batch.owner) - held(y.batch.owner) || byAge(x.batch, y.batch))[0];
  if (!first) return null;
  if (first.able.some((node) => fits(capacityOf(node.capabilities), node.usage, first.share))) return null;
  const target = [...first.able].sort((a, b) => a.usage.cpus - b.usage.cpus || compareStrings(a.id, b.id))[0];
  return { nodeId: target.id, batchId: first.batch.id };
}

/**
 * The drain to use in this call: the previous one while it still applies, else {@link drainFor}.
 * A drain is kept while its batch's next job still waits and fits on no other accepting node, its
 * node is still accepting and could hold the job, and the batch's owner holds no more cores than
 * any other owner with runnable work. Keeping it is what lets the job take the node the moment it
 * empties, even when a tie on held cores would hand the empty node to another owner's older batch.
 * The head keeps the result and passes it back next time.
 */
export function planDrain(state: SchedulerState, previous: Drain | null): Drain | null {
  if (previous && drainHolds(state, previous)) return previous;
  return drainFor(state.nodes, state.batches, state.runningByOwner);
}

function drainHolds(state: SchedulerState, drain: Drain): boolean {
  const batch = state.batches.find((b) => b.id === drain.batchId);
  const node = state.nodes.find((n) => n.id === drain.nodeId);
  if (!batch || !node || batch.queued.length === 0 || !node.accepting) return false;
  const share = shareOfJob(batch, batch.queued[0]);
  if (node.buildFailed.includes(batch.id) || !checkCompatibility(node.capabilities, batch).ok || !canHold(capacityOf(node.capabilities), share)) return false;
  const elsewhere = state.nodes.some((n) => n.id !== node.id && n.accepting && !n.buildFailed.includes(batch.id)
    && checkCompatibility(n.capabilities, batch).ok && fits(capacityOf(n.capabilities), n.usage, share));
  if (elsewhere) return false;
  const held = (owner: string): number => state.runningByOwner[owner] ?? 0;
  const least = Math.min(...[...runnableByOwner(state.nodes, state.batches).keys()].map(held));
  return held(batch.owner) <= least;
}

/** Per owner, the oldest batch whose next job some accepting node could hold when empty. */
function runnableByOwner(nodes: readonly SchedulerNode[], batches: readonly SchedulerBatch[]) {
  const accepting = nodes.filter((node) => node.accepting);
  const out = new Map<string, { batch: SchedulerBatch; share: Share | null; able: SchedulerNode[] }>();
  for (const batch of [...batches].sort(byAge)) {
    if (batch.queued.length === 0 || out.has(batch.owner)) continue;
    const share = shareOfJob(batch, batch.queued[0]);
    const able = accepting.filter((node) =>
      !node.buildFailed.includes(batch.id) && checkCompatibility(node.capabilities, batch).ok && canHold(capacityOf(node.capabilities), share));
    if (able.length) out.set(batch.owner, { batch, share, able });
  }
  return out;
}

/** The share of queued job `job` of `batch`. */
function shareOfJob(batch: SchedulerBatch, job: string | undefined): Share | null {
  if (job !== undefined && batch.jobShares && job in batch.jobShares) return batch.jobShares[job];
  return batch.share;
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

/** Accepting nodes, warm ones (a built or last-run batch still has work) first, then by id. */
function nodeOrder(nodes: readonly SchedulerNode[], batches: Map<string, SchedulerBatch>): SchedulerNode[] {
  const hasWork = (id: string | null): boolean => (id === null ? false : (batches.get(id)?.queued.length ?? 0) > 0);
  const warm = (node: SchedulerNode): number => (hasWork(node.lastBatch) || node.built.some(hasWork) ? 0 : 1);
  return nodes
    .filter((node) => node.accepting)
    .sort((a, b) => warm(a) - warm(b) || compareStrings(a.id, b.id));
}

function byAge(a: SchedulerBatch, b: SchedulerBatch): number {
  return a.createdAt - b.createdAt || compareStrings(a.id, b.id);
}

/** Locale-independent string order, so the result does not depend on the head's locale. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
