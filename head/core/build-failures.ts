/**
 * A batch's build step on a node: a success is remembered on the node (no build again); a failure
 * keeps the batch off that node for good, hands back what the node held of it, and fails the
 * batch's waiting jobs once it failed on every compatible node.
 */
import type { Store } from '../store/store.ts';
import type { BatchBook } from './batch-book.ts';
import type { NodeRegistry } from './node-registry.ts';
import type { RunLeases } from './run-leases.ts';

export interface BuildFailuresDeps {
  book: BatchBook;
  registry: NodeRegistry;
  leases: RunLeases;
  store: Store;
  now: () => number;
  log: (line: string) => void;
  scheduleSoon: () => void;
}

/** Build logs are kept up to this many characters (the tail). */
const BUILD_LOG_CHARS = 8000;

export class BuildFailures {
  constructor(private readonly deps: BuildFailuresDeps) {}

  /** The build of batch `batchId` succeeded on `node`: its next jobs there skip the build. */
  succeeded(node: string, batchId: string): void {
    const live = this.deps.registry.nodes.get(node);
    if (live && !live.record.built.includes(batchId)) live.record.built.push(batchId);
  }

  /** The build step failed on `node`: never offer the batch there again; fail it when no node is left. */
  failed(node: string, batchId: string, log: string): void {
    const { book, registry, leases } = this.deps;
    const doc = book.batches.get(batchId);
    if (!doc) return;
    doc.record.buildFailures[node] = log.slice(-BUILD_LOG_CHARS);
    this.deps.store.touchBatchRecord(doc);
    const live = registry.nodes.get(node);
    book.requeueHeldBy(doc, node, 'build failed');
    for (const [runId, h] of live?.runs ?? []) {
      if (h.batchId !== batchId) continue;
      live?.runs.delete(runId);
      leases.end(runId);
    }
    const candidates = registry.compatibility(doc.spec).filter((c) => c.ok).map((c) => c.node);
    if (candidates.every((n) => n in doc.record.buildFailures)) {
      this.deps.log(`batch ${doc.record.namespace}/${doc.record.name} failed to build on every compatible node`);
      const message = `build failed on ${Object.keys(doc.record.buildFailures).join(', ')}`;
      doc.jobs.forEach((job, i) => {
        if (job.status.state === 'queued') book.apply(doc, i, { type: 'build-failed', message, now: this.deps.now() });
      });
      book.checkEnd(doc);
    }
    this.deps.scheduleSoon();
  }
}
