/** Cluster overview: batches with counts per state, running jobs, nodes, archive disk use. */
import { Router } from 'express';
import { batchSummary, nodeViews, runningJobs } from '../../core/views.ts';
import { userOf } from '../auth.ts';
import type { AppDeps } from '../deps.ts';

export function statusRouter(deps: AppDeps): Router {
  const r = Router();
  r.get('/api/status', async (req, res) => {
    userOf(req);
    const now = deps.now();
    const batches = [...deps.cluster.batches.values()].filter((d) => d.record.phase !== 'uploading').map(batchSummary);
    res.json({ now, batches, running: runningJobs(deps.cluster, now), nodes: nodeViews(deps.cluster), disk: await deps.archive.diskUsage() });
  });
  r.get('/api/whoami', (req, res) => {
    const p = userOf(req);
    res.json({ name: p.name, kind: p.kind });
  });
  return r;
}
