/**
 * `GET /api/events`: the user's event stream as server-sent events (text/event-stream). Trays
 * follow it to show a desktop notification when one of the user's batches ends; `distribute wait`
 * could too. A user receives only events of their own batches; the admin receives all. A comment
 * line is sent every 15 s so idle proxies and clients notice a dead connection.
 */
import { Router, type Response } from 'express';
import { EVENTS_PATH } from '../../../shared/api/routes.ts';
import { USER_EVENT_NAME, type UserEvent } from '../../../shared/protocol/events.ts';
import type { BatchEnd } from '../../../shared/batch/batch-end.ts';
import type { Principal } from '../../state/types.ts';
import { userOf } from '../auth.ts';
import { followLive } from '../live-feed.ts';
import type { AppDeps } from '../deps.ts';

const KEEPALIVE_MS = 15_000;

/** Whether `principal` may see events of a batch owned by `owner`. */
export function seesBatch(principal: Principal, owner: string): boolean {
  return principal.kind === 'admin' || principal.name === owner;
}

/** The wire form of the cluster's `batch:ended` event. */
export function toBatchEndedEvent(e: BatchEnd): UserEvent {
  return {
    type: 'batch-ended', batchId: e.batchId, namespace: e.namespace, batch: e.batch, owner: e.owner,
    outcome: e.outcome, succeeded: e.succeeded, failed: e.failed, total: e.total,
  };
}

function send(res: Response, event: UserEvent): void {
  res.write(`event: ${USER_EVENT_NAME}\ndata: ${JSON.stringify(event)}\n\n`);
}

export function eventsRouter(deps: AppDeps): Router {
  const r = Router();
  r.get(EVENTS_PATH, (req, res) => {
    const principal = userOf(req);
    res.status(200);
    res.setHeader('content-type', 'text/event-stream; charset=utf-8');
    res.setHeader('cache-control', 'no-cache');
    res.setHeader('connection', 'keep-alive');
    res.flushHeaders();
    // Tells the client the stream is live (it can stop backing off) and how soon to retry.
    res.write(`retry: 2000\n: connected as ${principal.name}\n\n`);
    const onEnded = (e: BatchEnd) => {
      if (seesBatch(principal, e.owner)) send(res, toBatchEndedEvent(e));
    };
    deps.cluster.events.on('batch:ended', onEnded);
    // `?live`: the dashboard's updates too (see live-feed.ts).
    const stopLive = req.query.live !== undefined ? followLive(deps.cluster, principal, res, { archive: () => deps.disk.state }) : () => {};
    const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
    const close = () => {
      clearInterval(keepalive);
      stopLive();
      deps.cluster.events.off('batch:ended', onEnded);
    };
    req.on('close', close);
    res.on('error', close);
  });
  return r;
}
