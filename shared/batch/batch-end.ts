/**
 * The end of a batch, one shape for everyone who hears of it: the head's `batch:ended` event, the
 * user event stream (shared/protocol/events.ts sends a part of it), the Matrix message and the
 * tray's desktop notification. Its outcome enum is the one `status`, `wait` and the API show.
 */
import { z } from 'zod';

/** How a batch ended: every job done (`finished`), killed (`cancelled`), or its build failed on every node. */
export const BatchOutcomeSchema = z.enum(['finished', 'cancelled', 'build-failed']);
export type BatchOutcome = z.infer<typeof BatchOutcomeSchema>;

/** A batch at its end. */
export const BatchEndSchema = z.object({
  /** The head's id for the batch (stable across restarts). */
  batchId: z.string(),
  namespace: z.string(),
  /** The batch name (`meta.batch_name`). */
  batch: z.string(),
  /** The user who submitted it. */
  owner: z.string(),
  outcome: BatchOutcomeSchema,
  succeeded: z.number().int().nonnegative(),
  /** Jobs that failed, were killed or could not start. */
  failed: z.number().int().nonnegative(),
  cancelled: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
  /** Wall time from submission to end (ms). */
  runMs: z.number().nonnegative(),
  /** `meta.matrix` of the config: the Matrix user to tell; no message without it. */
  matrixUser: z.string().optional(),
  /** Tail of a build log when the batch failed to build. */
  buildLog: z.string().optional(),
});
export type BatchEnd = z.infer<typeof BatchEndSchema>;
