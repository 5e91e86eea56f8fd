/** Content-addressed input files: the CLI uploads them (PUT), agents download them (GET). */
import fs from 'node:fs';
import { Router } from 'express';
import type { StoredInput } from '../../../shared/api/head-api.ts';
import { SHA256_HEADER, SHA256_PATTERN } from '../../../shared/api/routes.ts';
import { receiveFile } from '../../archive/receive-file.ts';
import { agentOf, userOf } from '../auth.ts';
import type { AppDeps } from '../deps.ts';
import { HttpError } from '../http-error.ts';


export function inputsRouter(deps: AppDeps): Router {
  const r = Router();

  r.put('/api/inputs/:sha', async (req, res) => {
    userOf(req);
    const sha = req.params.sha;
    if (!SHA256_PATTERN.test(sha)) throw new HttpError(400, `'${sha}' is not a sha256 digest`);
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > deps.maxInputBytes) {
      req.resume();
      throw new HttpError(413, `input file of ${declared} bytes is larger than the head's limit of ${deps.maxInputBytes} bytes`);
    }
    if (await deps.archive.hasInput(sha)) {
      req.resume();
      res.json({ sha256: sha, stored: 'already' } satisfies StoredInput);
      return;
    }
    const got = await receiveFile(req, deps.archive.inputPath(sha), { expectedSha256: sha, maxBytes: deps.maxInputBytes });
    if (!got.ok && got.status === 507) {
      deps.log(`archive disk full: refused input ${sha} (507)`);
      await deps.disk.noteFull();
    }
    if (!got.ok) throw new HttpError(got.status, got.error);
    res.status(201).json({ sha256: sha, size: got.size } satisfies StoredInput);
  });

  r.get('/api/agent/inputs/:sha', async (req, res) => {
    agentOf(req);
    const sha = req.params.sha;
    if (!SHA256_PATTERN.test(sha)) throw new HttpError(400, `'${sha}' is not a sha256 digest`);
    const p = deps.archive.inputPath(sha);
    let size: number;
    try {
      size = (await fs.promises.stat(p)).size;
    } catch {
      throw new HttpError(404, `no input ${sha}`);
    }
    res.setHeader('content-length', String(size));
    res.setHeader('content-type', 'application/octet-stream');
    res.setHeader(SHA256_HEADER, sha);
    fs.createReadStream(p).pipe(res);
  });

  return r;
}
