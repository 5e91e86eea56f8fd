/**
 * Errors as values for cluster operations: what kind of problem, and a message naming it. The
 * domain does not speak HTTP; head/http/http-error.ts maps each kind to a status.
 */

/** What went wrong, in the domain's words. */
export type Problem =
  /** The request itself is wrong (a duplicate job name, ...). */
  | 'invalid'
  /** The caller may not do this (not the owner, not an admin). */
  | 'forbidden'
  /** No such batch, job or node. */
  | 'not-found'
  /** It exists but is in the wrong state for this (already exists, not connected, not done, ...). */
  | 'conflict';

export type Failure = { ok: false; problem: Problem; error: string };
export type Result<T> = { ok: true; value: T } | Failure;

export const fail = (problem: Problem, error: string): Failure => ({ ok: false, problem, error });
