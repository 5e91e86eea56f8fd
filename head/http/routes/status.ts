/** Cluster overview: batches with counts per state, running jobs, nodes, archive disk use. */
import { Router } from 'express';
import { canRead } from '../../core/batch-access.ts';
import { batchSummary, nodeViews, runningJobs } from '../../core/views.ts';
import type { BatchDoc } from '../../state/types.ts';
import { userOf } from '../auth.ts';
import type { AppDeps } from '../deps.ts';

export function statusRouter(deps: AppDeps): Router {
  const r = Router();
  r.get('/api/status', async (req, res) => {
    const principal = userOf(req);
    const now = deps.now();
    // Only what the caller may read: its own batches, shared ones, everything for admins.
    const visible = (d: BatchDoc) => canRead(principal, d);
    const readable = [...deps.cluster.batches.values()].filter(visible);
    const batches = readable.filter((d) => d.record.phase !== 'uploading').map(batchSummary);
    const namespaces = new Set(readable.map((d) => d.record.namespace));
    const disk = Object.fromEntries(Object.entries(await deps.archive.diskUsage()).filter(([ns]) => principal.kind === 'admin' || namespaces.has(ns)));
    res.json({ now, batches, running: runningJobs(deps.cluster, now, visible), nodes: nodeViews(deps.cluster, visible), disk, archive: deps.disk.state });
  });
  r.get('/api/whoami', (req, res) => {
    const p = userOf(req);
    res.json({ name: p.name, kind: p.kind });
  });
  return r;
}
