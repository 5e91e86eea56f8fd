/**
 * Whether and what to tell the person at this tray when a batch ends. The decision is a pure
 * function; notifier.ts does the showing. Only the user's own batches, each batch once.
 */
import type { BatchEndedEvent } from '../../shared/protocol/events.ts';

/** The head's event for the submitter's tray when one of their batches ends (one schema, in shared/). */
export { BatchEndedEventSchema, type BatchEndedEvent } from '../../shared/protocol/events.ts';

export interface NotifyContext {
  /** The user this tray belongs to (their account on the head). */
  me: string;
  /** The user's "desktop notifications" setting. */
  enabled: boolean;
  /** Keys ({@link notificationKey}) already shown; the caller adds to it after showing. */
  alreadyNotified: ReadonlySet<string>;
}

export type NotifyDecision = { notify: false } | { notify: true; title: string; message: string };

/** What makes two events "the same notification": a batch ends once. */
export function notificationKey(event: BatchEndedEvent): string {
  return event.batchId;
}

const jobs = (n: number) => `${n} job${n === 1 ? '' : 's'}`;

function counts(event: BatchEndedEvent): string {
  const parts = [`${event.succeeded} of ${jobs(event.total)} succeeded`];
  if (event.failed > 0) parts.push(`${event.failed} failed`);
  const notRun = event.total - event.succeeded - event.failed;
  if (notRun > 0) parts.push(`${notRun} did not run`);
  return parts.join(', ');
}

/** Decide whether to show a desktop notification for `event`, and its wording. */
export function shouldNotify(event: BatchEndedEvent, ctx: NotifyContext): NotifyDecision {
  if (!ctx.enabled) return { notify: false };
  if (event.owner !== ctx.me) return { notify: false };
  if (ctx.alreadyNotified.has(notificationKey(event))) return { notify: false };

  const name = `${event.namespace}/${event.batch}`;
  switch (event.outcome) {
    case 'finished':
      if (event.failed === 0 && event.succeeded === event.total) {
        return { notify: true, title: `Batch ${name} finished`, message: `All ${jobs(event.total)} succeeded.` };
      }
      return { notify: true, title: `Batch ${name} finished with failures`, message: `${counts(event)}.` };
    case 'build-failed':
      return { notify: true, title: `Batch ${name}: build failed`, message: `The build step failed; ${counts(event)}.` };
    case 'cancelled':
      return { notify: true, title: `Batch ${name} cancelled`, message: `${counts(event)}.` };
  }
}
