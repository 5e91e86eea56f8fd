/**
 * Agents upload result files here, into their run's staging folder, before reporting
 * `job-finished`. Only the holder of the run may: the request must come from the run's node (its
 * node credential), carry the run's key ({@link RUN_KEY_HEADER}), and the run must not be over
 * (see head/core/run-leases.ts).
 * A refused upload is logged.
 */
import { Router, type Request } from 'express';
import type { StoredResultFile } from '../../../shared/api/head-api.ts';
import { RUN_KEY_HEADER, SHA256_HEADER, SHA256_PATTERN } from '../../../shared/api/routes.ts';
import { RUN_ID_PATTERN } from '../../../shared/job/run-id.ts';
import { receiveFile } from '../../archive/receive-file.ts';
import { agentOf } from '../auth.ts';
import { wildcardPath } from '../wildcard-path.ts';
import type { AppDeps } from '../deps.ts';
import { HttpError } from '../http-error.ts';

/**
 * The batch and job of run `req.params.runId`, when the request may upload into it: from the run's
 * node, with its key, while the run is not over. Else an HttpError (404 no such run, 410 over, 403),
 * logged with `what` (the file, or "a result stream").
 */
export function uploadTarget(deps: AppDeps, req: Request, what: string): { runId: string; batchId: string; job: string } {
  const node = agentOf(req).name;
  const runId = req.params.runId as string;
  if (!RUN_ID_PATTERN.test(runId)) throw new HttpError(400, `bad run id '${runId.slice(0, 80)}'`);
  const key = req.headers[RUN_KEY_HEADER];
  const lease = deps.cluster.reports.uploadLease(runId, typeof key === 'string' ? key : undefined, node);
  if (!lease.ok) {
    deps.log(`refused upload of ${what} into run ${runId} from ${node} (${req.socket.remoteAddress ?? '?'}): ${lease.reason}`);
    // 410: the run is over (its job is done, or another run won): the agent stops uploading.
    const over = lease.reason === 'the run is over' || lease.reason === 'the job is already done';
    const status = lease.reason === 'no such run' ? 404 : over ? 410 : 403;
    throw new HttpError(status, `upload into run ${runId} refused: ${lease.reason}`);
  }
  return { runId, batchId: lease.lease.batchId, job: lease.lease.job };
}

/**
 * What a refused receive of `rel` means beyond its status: a full disk is noted (the agent keeps
 * the file and retries), a run that ended meanwhile is a 410. Returns the error to answer.
 */
export async function receiveRefusal(deps: AppDeps, t: { runId: string; batchId: string; job: string }, rel: string, got: { status: number; error: string }): Promise<HttpError> {
  const { runId, batchId, job } = t;
  if (got.status === 507) {
    const doc = deps.cluster.book.batches.get(batchId);
    deps.log(`archive disk full: refused ${doc?.record.namespace}/${doc?.record.name}/${job} ${rel} (507), run ${runId}; the agent keeps it and retries`);
    await deps.disk.noteFull({ runId, job: `${doc?.record.namespace}/${doc?.record.name}/${job}` });
  }
  if (got.status === 410) {
    deps.log(`refused upload of '${rel.slice(0, 200)}' into run ${runId}: the run ended during the upload`);
    return new HttpError(410, `upload into run ${runId} refused: the run ended during the upload`);
  }
  return new HttpError(got.status, got.error);
}

export function agentResultsRouter(deps: AppDeps): Router {
  const r = Router();
  r.put('/api/agent/runs/:runId/results/*path', async (req, res) => {
    const rel = wildcardPath(req);
    const t = uploadTarget(deps, req, `'${rel.slice(0, 200)}'`);
    const { runId, batchId } = t;
    const target = deps.archive.stagingFile(batchId, runId, rel);
    if (!target.ok || !target.abs) throw new HttpError(400, `refused result path: ${target.ok ? rel : target.error}`);
    // The sha256 comes as a header, or as a trailer when the agent hashed the file while sending it.
    const header = req.headers[SHA256_HEADER];
    const expected = () => {
      const value = typeof header === 'string' ? header : req.trailers[SHA256_HEADER];
      return typeof value === 'string' && SHA256_PATTERN.test(value) ? value : undefined;
    };
    const got = await receiveFile(req, target.abs, { expectedSha256: expected });
    if (!got.ok) throw await receiveRefusal(deps, t, target.rel ?? rel, got);
    await deps.archive.noteReceived(target.abs, got.sha256);
    deps.disk.stored(runId);
    res.status(201).json({ path: target.rel, size: got.size } satisfies StoredResultFile);
  });
  return r;
}
