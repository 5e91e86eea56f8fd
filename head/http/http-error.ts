/** One error type for HTTP routes, turned into `{ error }` JSON by the final handler. */
import type { NextFunction, Request, Response } from 'express';
import type { ErrorBody } from '../../shared/api/head-api.ts';
import type { Problem, Result } from '../core/result.ts';

export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** The HTTP status of each kind of domain problem: the one place the head maps them. */
export const PROBLEM_STATUS: Record<Problem, number> = { invalid: 400, forbidden: 403, 'not-found': 404, conflict: 409 };

/** Throw the error of a failed cluster Result (with its problem's status), or return its value. */
export function unwrap<T>(r: Result<T>): T {
  if (!r.ok) throw new HttpError(PROBLEM_STATUS[r.problem], r.error);
  return r.value;
}

export function errorHandler(log: (line: string) => void) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    // A response already under way (a deadline answered first, a stream broke) gets nothing more.
    if (res.headersSent) {
      if (!(err as { type?: string })?.type) log(`error after the response started: ${(err as Error)?.message ?? err}`);
      return;
    }
    // A refused caller (no token, a body too large or too slow) is not offered a kept-alive
    // connection to go on sending on: the socket closes after the answer, unread body and all.
    const status = err instanceof HttpError ? err.status : (err as { status?: number })?.status;
    if (status === 401 || status === 408 || status === 413 || !req.complete) res.setHeader('connection', 'close');
    if (err instanceof HttpError) {
      res.status(err.status).json({ error: err.message } satisfies ErrorBody);
      return;
    }
    const e = err as { type?: string; status?: number; message?: string };
    if (e?.type === 'entity.parse.failed') {
      res.status(400).json({ error: `request body is not valid JSON: ${e.message}` });
      return;
    }
    if (e?.type === 'entity.too.large') {
      res.status(413).json({ error: `request body too large for ${req.method} ${req.path} (limit ${(e as { limit?: number }).limit ?? '?'} bytes)` });
      return;
    }
    log(`internal error: ${(err as Error)?.stack ?? err}`);
    res.status(500).json({ error: 'internal error' });
  };
}
