/**
 * Requests and shares: what one job occupies on a node, and how much of a node is free. The head's
 * scheduler packs jobs with these functions and the agent checks each assignment with the same ones,
 * so both sides agree on what fits.
 *
 * Glossary:
 * - request: what the config says (`meta.request`, a job's own `request` overriding it key by key).
 * - share: a request resolved to numbers (1 core, no memory and no GPU when unsaid); `null` is a
 *   whole-node share: the job has the node to itself, as every job had before requests existed.
 * - capacity: what a node offers (its detected hardware, or less with `--cpus`/`--memory-gb`/`--gpus`).
 */
import type { Capabilities } from '../protocol/capabilities.ts';
import type { RequestSpec } from './spec.ts';

const GIB = 1024 ** 3;

/** A request resolved to numbers; memory in bytes. */
export interface Share {
  cpus: number;
  memoryBytes: number;
  gpus: number;
}

/** What a node offers, or what its runs use. */
export interface Capacity {
  cpus: number;
  memoryBytes: number;
  gpus: number;
}

/** What the runs on a node occupy: the sum of their shares, and whether one has the whole node. */
export interface Usage extends Capacity {
  runs: number;
  whole: boolean;
}

export const NO_USAGE: Usage = { cpus: 0, memoryBytes: 0, gpus: 0, runs: 0, whole: false };

/** The job's request: the batch's, with the job's own keys on top; undefined when neither has one. */
export function effectiveRequest(batch: { request?: RequestSpec }, job: { request?: RequestSpec }): RequestSpec | undefined {
  if (!batch.request && !job.request) return undefined;
  return { ...batch.request, ...job.request };
}

/** The share a request stands for; null (whole node) without a request. */
export function shareOf(request: RequestSpec | undefined): Share | null {
  if (!request) return null;
  return { cpus: request.cpus ?? 1, memoryBytes: Math.round((request.memory_gb ?? 0) * GIB), gpus: request.gpus ?? 0 };
}

/** The share of job `job` of `batch` (null: the whole node). */
export function jobShare(batch: { request?: RequestSpec }, job: { request?: RequestSpec }): Share | null {
  return shareOf(effectiveRequest(batch, job));
}

/** What a node offers, from what it advertises (at least one core). */
export function capacityOf(caps: Pick<Capabilities, 'physicalCores' | 'memoryBytes' | 'gpus'>): Capacity {
  return { cpus: Math.max(1, caps.physicalCores), memoryBytes: caps.memoryBytes, gpus: caps.gpus.length };
}

/** Cores a run counts for: its share's, or all the node's for a whole-node run. */
export function coresOf(share: Share | null, capacity: Capacity): number {
  return share ? share.cpus : capacity.cpus;
}

/** Usage after adding a run with `share`. */
export function addUsage(usage: Usage, share: Share | null, capacity: Capacity): Usage {
  if (!share) return { cpus: usage.cpus + capacity.cpus, memoryBytes: usage.memoryBytes + capacity.memoryBytes, gpus: usage.gpus + capacity.gpus, runs: usage.runs + 1, whole: true };
  return { cpus: usage.cpus + share.cpus, memoryBytes: usage.memoryBytes + share.memoryBytes, gpus: usage.gpus + share.gpus, runs: usage.runs + 1, whole: usage.whole };
}

/** Whether a node of `capacity` could ever hold `share` (when empty). */
export function canHold(capacity: Capacity, share: Share | null): boolean {
  if (!share) return true;
  return share.cpus <= capacity.cpus && share.memoryBytes <= capacity.memoryBytes && share.gpus <= capacity.gpus;
}

/** Whether a run with `share` fits next to what `usage` already occupies. A whole-node run needs an empty node. */
export function fits(capacity: Capacity, usage: Usage, share: Share | null): boolean {
  if (!share) return usage.runs === 0;
  if (usage.whole) return false;
  return usage.cpus + share.cpus <= capacity.cpus
    && usage.memoryBytes + share.memoryBytes <= capacity.memoryBytes
    && usage.gpus + share.gpus <= capacity.gpus;
}

/** What is left of `capacity` (never negative). */
export function freeCapacity(capacity: Capacity, usage: Usage): Capacity {
  if (usage.whole) return { cpus: 0, memoryBytes: 0, gpus: 0 };
  return {
    cpus: Math.max(0, capacity.cpus - usage.cpus),
    memoryBytes: Math.max(0, capacity.memoryBytes - usage.memoryBytes),
    gpus: Math.max(0, capacity.gpus - usage.gpus),
  };
}

/**
 * The largest request of each kind among a batch's jobs (for `add`: a node that cannot hold it
 * cannot run every job of the batch). Undefined when no job has a request.
 */
export function largestRequest(batch: { request?: RequestSpec; jobs: { request?: RequestSpec }[] }): RequestSpec | undefined {
  let out: RequestSpec | undefined;
  for (const job of batch.jobs) {
    const r = effectiveRequest(batch, job);
    if (!r) continue;
    out ??= {};
    for (const key of ['cpus', 'memory_gb', 'gpus'] as const) {
      const v = key === 'cpus' ? r.cpus ?? 1 : r[key];
      if (v !== undefined && v > (out[key] ?? 0)) out[key] = v;
    }
  }
  return out;
}
