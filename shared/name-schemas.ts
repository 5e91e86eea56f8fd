/**
 * The name rules of ./names.ts as zod strings, for the schemas of the protocol, batch specs and
 * API. Apart from names.ts so that code using only the plain checks does not load zod.
 */
import { z } from 'zod';
import { unsafeLabelReason, unsafeNameReason } from './names.ts';

const refined = (check: (s: string) => string | null) => z.string().superRefine((value, ctx) => {
  const reason = check(value);
  if (reason) ctx.addIssue({ code: 'custom', message: reason });
});

/** A zod string that must be a safe path segment (see {@link unsafeNameReason}). */
export const safeName = refined(unsafeNameReason);
/** A zod string that must be a safe label (see {@link unsafeLabelReason}). */
export const safeLabel = refined(unsafeLabelReason);
