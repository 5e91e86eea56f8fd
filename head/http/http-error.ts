/** One error type for HTTP routes, turned into `{ error }` JSON by the final handler. */
import type { NextFunction, Request, Response } from 'express';

export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** Throw the error of a failed cluster Result, or return its value. */
export function unwrap<T>(r: { ok: true; value: T } | { ok: false; status: number; error: string }): T {
  if (!r.ok) throw new HttpError(r.status, r.error);
  return r.value;
}

export function errorHandler(log: (line: string) => void) {
  return (err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof HttpError) {
      res.status(err.status).json({ error: err.message });
      return;
    }
    const e = err as { type?: string; status?: number; message?: string };
    if (e?.type === 'entity.parse.failed') {
      res.status(400).json({ error: `request body is not valid JSON: ${e.message}` });
      return;
    }
    if (e?.type === 'entity.too.large') {
      res.status(413).json({ error: 'request body too large' });
      return;
    }
    log(`internal error: ${(err as Error)?.stack ?? err}`);
    if (!res.headersSent) res.status(500).json({ error: 'internal error' });
  };
}
