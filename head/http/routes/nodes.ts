/**
 * Nodes: list, pause/resume one remotely (admin or the node's owner), remove one (admin: revokes
 * its credential and forgets it), and rotate the enrollment token (admin).
 */
import { Router } from 'express';
import { parseDuration } from '../../../shared/duration.ts';
import type { NodePaused, NodeResumed, Nodes, RemovedNode, RotatedEnrollment } from '../../../shared/api/head-api.ts';
import { routes } from '../../../shared/api/routes.ts';
import { canRead } from '../../core/batch-access.ts';
import { nodeViews } from '../../core/views.ts';
import { adminOf, userOf } from '../auth.ts';
import type { AppDeps } from '../deps.ts';
import { HttpError, unwrap } from '../http-error.ts';

export function nodesRouter(deps: AppDeps): Router {
  const r = Router();
  r.get(routes.nodes(), (req, res) => {
    const principal = userOf(req);
    res.json({ nodes: nodeViews(deps.cluster, (d) => canRead(principal, d)), archive: deps.disk.state } satisfies Nodes);
  });
  r.post('/api/nodes/:name/pause', (req, res) => {
    const principal = userOf(req);
    let until: number | null = null;
    const duration = req.body?.duration;
    if (typeof duration === 'string' && duration !== 'until-resumed') {
      const d = parseDuration(duration);
      if (!d.ok) throw new HttpError(400, d.error);
      until = deps.now() + d.ms;
    }
    const node = unwrap(deps.cluster.registry.control(principal, req.params.name, { type: 'pause', until }));
    res.json({ node: node.name, pausedUntil: until } satisfies NodePaused);
  });
  r.post('/api/nodes/:name/resume', (req, res) => {
    const node = unwrap(deps.cluster.registry.control(userOf(req), req.params.name, { type: 'resume' }));
    res.json({ node: node.name } satisfies NodeResumed);
  });
  r.delete('/api/nodes/:name', async (req, res) => {
    adminOf(req);
    const removed = unwrap(await deps.cluster.nodeLoss.remove(req.params.name, 'removed by the admin'));
    res.json({ node: removed.name, wasConnected: removed.wasConnected } satisfies RemovedNode);
  });
  r.post('/api/enrollment-token/rotate', async (req, res) => {
    adminOf(req);
    res.json({ token: await deps.rotateEnrollment() } satisfies RotatedEnrollment);
  });
  return r;
}
