/** Agents upload result files here before reporting `job-finished`. */
import { Router } from 'express';
import { SHA256_HEADER, SHA256_PATTERN } from '../../../shared/api/routes.ts';
import { receiveFile } from '../../archive/receive-file.ts';
import { agentOf } from '../auth.ts';
import { wildcardPath } from '../wildcard-path.ts';
import type { AppDeps } from '../deps.ts';
import { HttpError } from '../http-error.ts';

export function agentResultsRouter(deps: AppDeps): Router {
  const r = Router();
  r.put('/api/agent/results/:batchId/:job/:attempt/*path', async (req, res) => {
    agentOf(req);
    const { batchId, job } = req.params as unknown as Record<string, string>;
    const attempt = Number(req.params.attempt);
    const rel = wildcardPath(req);
    const doc = deps.cluster.batches.get(batchId);
    if (!doc) throw new HttpError(404, `no batch ${batchId}`);
    if (!doc.spec.jobs.some((j) => j.name === job)) throw new HttpError(404, `batch ${batchId} has no job '${job}'`);
    if (!Number.isInteger(attempt) || attempt < 1) throw new HttpError(400, `bad attempt '${req.params.attempt}'`);
    const target = deps.archive.stagingFile(batchId, job, attempt, rel);
    if (!target.ok || !target.abs) throw new HttpError(400, `refused result path: ${target.ok ? rel : target.error}`);
    // The sha256 comes as a header, or as a trailer when the agent hashed the file while sending it.
    const header = req.headers[SHA256_HEADER];
    const expected = () => {
      const value = typeof header === 'string' ? header : req.trailers[SHA256_HEADER];
      return typeof value === 'string' && SHA256_PATTERN.test(value) ? value : undefined;
    };
    const got = await receiveFile(req, target.abs, { expectedSha256: expected });
    if (!got.ok && got.status === 507) {
      deps.log(`archive disk full: refused ${doc.record.namespace}/${doc.record.name}/${job} ${target.rel} (507); the agent keeps it and retries`);
      await deps.disk.noteFull();
    }
    if (!got.ok) throw new HttpError(got.status, got.error);
    res.status(201).json({ path: target.rel, size: got.size });
  });
  return r;
}
