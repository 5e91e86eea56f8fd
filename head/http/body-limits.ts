/**
 * JSON bodies are parsed only after authentication and only as large as their route needs: batch
 * creation carries a whole batch spec (up to {@link BATCH_BODY_LIMIT}); every other JSON route
 * takes at most {@link SMALL_BODY_LIMIT}. A JSON body must also arrive within
 * {@link BODY_DEADLINE_MS}, so nobody holds a connection open by sending a small body slowly.
 * File uploads (inputs, results) are streams with their own size limits and are not parsed here.
 */
import express, { type NextFunction, type Request, type Response } from 'express';

export const BATCH_BODY_LIMIT = '64mb';
export const SMALL_BODY_LIMIT = '64kb';
export const BODY_DEADLINE_MS = 30_000;

/** The routes whose body is a file stream, read by the route itself. */
const STREAMED = [/^\/api\/inputs\//, /^\/api\/agent\/runs\/[^/]+\/result(s\/|-stream$)/];

/** Middleware: a deadline for JSON bodies, then the parser with the route's limit. */
export function jsonBodies(deadlineMs = BODY_DEADLINE_MS): express.RequestHandler[] {
  const big = express.json({ limit: BATCH_BODY_LIMIT });
  const small = express.json({ limit: SMALL_BODY_LIMIT });
  const deadline = (req: Request, res: Response, next: NextFunction) => {
    if (STREAMED.some((re) => re.test(req.path)) || req.method === 'GET' || req.method === 'HEAD') return next();
    if (req.complete) return next();
    const timer = setTimeout(() => {
      if (!res.headersSent) res.status(408).setHeader('connection', 'close').json({ error: `request body not received within ${deadlineMs / 1000} s` });
      res.once('finish', () => req.destroy());
    }, deadlineMs);
    const clear = () => clearTimeout(timer);
    req.once('end', clear);
    req.once('close', clear);
    res.once('close', clear);
    next();
  };
  const parse = (req: Request, res: Response, next: NextFunction) => {
    if (STREAMED.some((re) => re.test(req.path))) return next();
    return (req.method === 'POST' && req.path === '/api/batches' ? big : small)(req, res, next);
  };
  return [deadline, parse];
}
