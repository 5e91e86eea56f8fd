/** Cluster overview: batches with counts per state, running jobs, nodes, archive disk use. */
import { Router } from 'express';
import type { Status, WhoAmI } from '../../../shared/api/head-api.ts';
import { routes } from '../../../shared/api/routes.ts';
import { heldPerNode } from '../../core/activity.ts';
import { canRead } from '../../core/batch-access.ts';
import { batchView, nodeViews, runningJobs } from '../../core/views.ts';
import type { BatchDoc } from '../../state/types.ts';
import { userOf } from '../auth.ts';
import type { AppDeps } from '../deps.ts';

export function statusRouter(deps: AppDeps): Router {
  const r = Router();
  r.get(routes.status(), async (req, res) => {
    const principal = userOf(req);
    const now = deps.now();
    // Only what the caller may read: its own batches, shared ones, everything for admins.
    const visible = (d: BatchDoc) => canRead(principal, d);
    const readable = [...deps.cluster.book.batches.values()].filter(visible);
    const batches = readable.filter((d) => d.record.phase !== 'uploading').map((d) => batchView(d, deps.cluster.book.index(d).counts()));
    const namespaces = new Set(readable.map((d) => d.record.namespace));
    const disk = Object.fromEntries(Object.entries(await deps.archive.diskUsage()).filter(([ns]) => principal.kind === 'admin' || namespaces.has(ns)));
    res.json({ now, batches, running: runningJobs(deps.cluster, now, visible), nodes: nodeViews(deps.cluster, visible), disk, archive: deps.disk.state } satisfies Status);
  });
  /** Jobs held per node over the last hour, for the dashboard's chart (node names are not private). */
  r.get(routes.activity(), (req, res) => {
    userOf(req);
    res.json(deps.cluster.activity.series(deps.now(), heldPerNode(deps.cluster.book.batches.values(), (doc) => deps.cluster.book.index(doc).activePositions())));
  });
  r.get(routes.whoami(), (req, res) => {
    const p = userOf(req);
    // userOf refuses agents, so the kind is 'admin' or 'user'.
    res.json({ name: p.name, kind: p.kind === 'admin' ? 'admin' : 'user' } satisfies WhoAmI);
  });
  return r;
}
