/**
 * The head's web dashboard: one static page (nodes, batches, jobs, logs) that calls the same API
 * as the CLI with the token the user types in. The page itself needs no token.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Router } from 'express';

const PAGE = path.join(import.meta.dirname, '../dashboard/index.html');

export function dashboardRouter(): Router {
  const r = Router();
  const html = fs.readFileSync(PAGE, 'utf8');
  r.get(['/', '/dashboard'], (_req, res) => {
    res.setHeader('content-security-policy', "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'");
    res.type('html').send(html);
  });
  return r;
}
