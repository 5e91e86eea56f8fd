/**
 * `POST /api/agent/runs/:runId/result-stream`: an agent uploads many result files of one run in one
 * request, as a file stream (shared/file-stream.ts). The same rules as the per-file upload
 * (./agent-results.ts): only the run's node, with its key, while the run is not over; each file
 * goes through its own `.partial` in the run's staging and is renamed into place only when its
 * bytes hash to the sha256 in its frame's trailer; a full disk is a 507 (the agent keeps its files
 * and retries). The first bad file or malformed frame ends the request with its reason; files
 * stored before it stay staged (each complete and verified; the report's check decides).
 */
import { Router, type Response } from 'express';
import type { StoredResultFile, StoredResultFiles } from '../../../shared/api/head-api.ts';
import { FileStreamError, FileStreamReader } from '../../../shared/file-stream.ts';
import { receiveFile } from '../../archive/receive-file.ts';
import { agentOf } from '../auth.ts';
import type { AppDeps } from '../deps.ts';
import { HttpError } from '../http-error.ts';
import { receiveRefusal, uploadTarget } from './agent-results.ts';

/** A refusal that leaves the rest of the body unread: the connection closes after the answer. */
function refuse(res: Response, err: HttpError): HttpError {
  res.setHeader('connection', 'close');
  return err;
}

export function agentResultStreamRouter(deps: AppDeps): Router {
  const r = Router();
  r.post('/api/agent/runs/:runId/result-stream', async (req, res) => {
    const t = uploadTarget(deps, req, 'a result stream');
    const reader = new FileStreamReader(req);
    const stored: StoredResultFile[] = [];
    try {
      for (let h = await reader.next(); h; h = await reader.next()) {
        const target = deps.archive.stagingFile(t.batchId, t.runId, h.path);
        if (!target.ok || !target.abs) throw refuse(res, new HttpError(400, `refused result path: ${target.ok ? h.path.slice(0, 200) : target.error}`));
        const got = await receiveFile(reader.body(), target.abs, { expectedSha256: () => reader.claimedSha256() });
        if (!got.ok) {
          const err = await receiveRefusal(deps, t, target.rel ?? h.path, got);
          throw refuse(res, new HttpError(err.status, `${target.rel}: ${err.message}`));
        }
        await deps.archive.noteReceived(target.abs, got.sha256);
        deps.disk.stored(t.runId);
        stored.push({ path: target.rel ?? h.path, size: got.size });
      }
    } catch (err) {
      const refused = err instanceof FileStreamError ? refuse(res, new HttpError(400, `result stream refused after ${stored.length} files: ${err.message}`)) : err;
      // The run's own node sent it: worth a line (a broken agent, a disk problem on either side).
      if (refused instanceof HttpError) deps.log(`refused a result stream into run ${t.runId} from ${agentOf(req).name} (${refused.status}): ${refused.message.slice(0, 300)}`);
      throw refused;
    }
    res.status(201).json({ files: stored } satisfies StoredResultFiles);
  });
  return r;
}
