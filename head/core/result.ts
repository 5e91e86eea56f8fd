/** Errors as values for cluster operations: an HTTP status and a message naming the problem. */
export type Result<T> = { ok: true; value: T } | { ok: false; status: number; error: string };

export const fail = (status: number, error: string): { ok: false; status: number; error: string } => ({ ok: false, status, error });
