/**
 * Can a node run a batch? Compares a node's advertised capabilities with a batch's tags and
 * hardware minimums, and explains every shortfall in a sentence a user can act on (`add` prints
 * them per node; the scheduler only needs the yes/no).
 */
import type { Capabilities } from '../../shared/protocol/capabilities.ts';
import type { Resources } from '../../shared/config/types.ts';
import type { RequestSpec } from '../../shared/batch/spec.ts';

/** What a batch asks of a node. */
export interface Need {
  capabilities: string[];
  resources: Resources;
  /**
   * The largest request of each kind among the batch's jobs (`largestRequest`): a node that
   * offers less could never hold that job. Absent: every job takes the whole node.
   */
  request?: RequestSpec;
}

/** The verdict for one node: ok, or every reason it cannot run the batch. */
export type Compatibility = { ok: true } | { ok: false; reasons: string[] };

const GIB = 1024 ** 3;
/** Float slack so that a node reporting exactly the stated minimum is accepted. */
const EPSILON = 1e-9;

/**
 * Checks `node` against `need`, collecting all reasons at once (tags first, then cores, memory,
 * GPU count, GPU memory). Tags match exactly (case-sensitive). Resource minimums that are absent or
 * 0 impose nothing. Memory and GPU memory are compared in GiB (2^30 bytes) against what the node
 * detected, which is usually a little below the marketing figure (a "64 GB" machine reports ~62.7).
 */
export function checkCompatibility(node: Capabilities, need: Need): Compatibility {
  const reasons: string[] = [];

  const have = new Set(node.tags);
  const missing = [...new Set(need.capabilities)].filter((tag) => !have.has(tag));
  if (missing.length > 0) reasons.push(`missing tags: ${missing.join(', ')}`);

  const { cpus, memory_gb: memoryGb, gpus, gpu_memory_gb: gpuMemoryGb } = need.resources;

  if (cpus && node.physicalCores + EPSILON < cpus) {
    reasons.push(`needs ${cpus} ${plural(cpus, 'core', 'cores')}, has ${node.physicalCores}`);
  }

  if (memoryGb) {
    const hasGb = node.memoryBytes / GIB;
    if (hasGb + EPSILON < memoryGb) reasons.push(`needs ${memoryGb} GiB memory, has ${formatGib(hasGb)}`);
  }

  if (gpus && node.gpus.length < gpus) {
    reasons.push(`needs ${gpus} ${plural(gpus, 'GPU', 'GPUs')}, has ${node.gpus.length}`);
  }

  if (gpuMemoryGb) {
    if (node.gpus.length === 0) {
      reasons.push(`needs a GPU with ${gpuMemoryGb} GiB, has none`);
    } else {
      const largestGb = Math.max(...node.gpus.map((gpu) => gpu.memoryBytes)) / GIB;
      if (largestGb + EPSILON < gpuMemoryGb) {
        reasons.push(`needs a GPU with ${gpuMemoryGb} GiB, largest has ${formatGib(largestGb)}`);
      }
    }
  }

  if (need.request) {
    const { cpus: reqCpus = 1, memory_gb: reqGb, gpus: reqGpus } = need.request;
    if (node.physicalCores + EPSILON < reqCpus) {
      reasons.push(`a job requests ${reqCpus} ${plural(reqCpus, 'core', 'cores')}, node offers ${node.physicalCores}`);
    }
    if (reqGb) {
      const hasGb = node.memoryBytes / GIB;
      if (hasGb + EPSILON < reqGb) reasons.push(`a job requests ${reqGb} GiB memory, node offers ${formatGib(hasGb)}`);
    }
    if (reqGpus && node.gpus.length < reqGpus) {
      reasons.push(`a job requests ${reqGpus} ${plural(reqGpus, 'GPU', 'GPUs')}, node offers ${node.gpus.length}`);
    }
  }

  return reasons.length === 0 ? { ok: true } : { ok: false, reasons };
}

/** A node as `compatibleNodes` needs it: an id (or name) and its capabilities. */
export interface NodeCapabilities {
  id: string;
  capabilities: Capabilities;
}

/** The split `add` prints: who can run the batch, and why each other node cannot. */
export interface NodeCompatibilityReport {
  /** Ids of nodes that can run the batch, in input order. */
  compatible: string[];
  /** Nodes that cannot, each with its reasons, in input order. */
  incompatible: { id: string; reasons: string[] }[];
}

/**
 * Checks every node against one batch. `add` uses `compatible.length` to refuse a batch no node
 * can run and prints the reasons of the others.
 */
export function compatibleNodes(nodes: readonly NodeCapabilities[], need: Need): NodeCompatibilityReport {
  const report: NodeCompatibilityReport = { compatible: [], incompatible: [] };
  for (const node of nodes) {
    const verdict = checkCompatibility(node.capabilities, need);
    if (verdict.ok) report.compatible.push(node.id);
    else report.incompatible.push({ id: node.id, reasons: verdict.reasons });
  }
  return report;
}

function plural(count: number, one: string, many: string): string {
  return count === 1 ? one : many;
}

/**
 * Rounds down to one decimal so a node that falls short never appears to meet the minimum
 * (63.96 GiB prints as 63.9, not 64); whole numbers print without `.0`.
 */
function formatGib(gib: number): string {
  const tenths = Math.floor(gib * 10 + EPSILON);
  return String(tenths / 10);
}
