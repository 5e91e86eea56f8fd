/**
 * How a job ended: the {@link JobResultSchema} that job-finished carries, the archive's result.json
 * stores and the API shows. The types derive from the schema, so there is one definition.
 */
import { z } from 'zod';

export const JobResultSchema = z.discriminatedUnion('outcome', [
  z.object({ outcome: z.literal('succeeded'), exitCode: z.literal(0) }),
  z.object({ outcome: z.literal('failed'), exitCode: z.number().int() }),
  z.object({ outcome: z.literal('killed'), signal: z.string() }),
  z.object({ outcome: z.literal('spawn-failed'), message: z.string() }),
  z.object({ outcome: z.literal('cancelled'), by: z.string() }),
  z.object({ outcome: z.literal('build-failed'), message: z.string() }),
  /** Nodes handed the job back or rejected it too often (see `maxHandBacks`); only the head ends a job so. */
  z.object({ outcome: z.literal('rejected'), message: z.string() }),
]);

/** How a job ended. */
export type JobResult = z.infer<typeof JobResultSchema>;

/** The outcome enum on its own (counts, tables, the API's `outcome` field). */
export const JobOutcomeSchema = z.enum(['succeeded', 'failed', 'killed', 'spawn-failed', 'cancelled', 'build-failed', 'rejected']);
export type JobOutcome = z.infer<typeof JobOutcomeSchema>;

// The enum must name exactly the outcomes of the result union (a compile error otherwise).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameOutcomes: Same<JobOutcome, JobResult['outcome']> = true;
void sameOutcomes;
