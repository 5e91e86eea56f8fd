/** The relative file path a `*path` route matched (Express 5 gives its segments as an array). */
import type { Request } from 'express';

export function wildcardPath(req: Request): string {
  const segments = (req.params as unknown as { path: string[] | string }).path;
  return Array.isArray(segments) ? segments.join('/') : String(segments);
}
