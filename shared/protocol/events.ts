/**
 * Events the head streams to a user (tray apps, scripts) over `GET /api/events` as server-sent
 * events: one `data: <json>` frame per event, the JSON being one of {@link UserEvent}. A user sees
 * only events of their own batches; the admin sees all.
 */
import { z } from 'zod';
import { BatchEndSchema } from '../batch/batch-end.ts';

/** One of the user's batches ended (every job is done): the public part of its {@link BatchEndSchema end}. */
export const BatchEndedEventSchema = BatchEndSchema.pick({
  batchId: true, namespace: true, batch: true, owner: true, outcome: true, succeeded: true, failed: true, total: true,
}).extend({ type: z.literal('batch-ended') });
export type BatchEndedEvent = z.infer<typeof BatchEndedEventSchema>;

/** Every event of the user stream (a union so more kinds can join without breaking clients). */
export const UserEventSchema = z.discriminatedUnion('type', [BatchEndedEventSchema]);
export type UserEvent = z.infer<typeof UserEventSchema>;

/** SSE event name used for every frame (clients may also listen to the default `message`). */
export const USER_EVENT_NAME = 'distribute';

/**
 * Decode the data of one SSE frame. Unknown event types are not an error (a newer head may send
 * more kinds): they come back as `{ ok: true, event: null }`.
 */
export function decodeUserEvent(data: string): { ok: true; event: UserEvent | null } | { ok: false; error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(data);
  } catch {
    return { ok: false, error: 'event is not JSON' };
  }
  const type = (raw as { type?: unknown } | null)?.type;
  if (type !== 'batch-ended') return { ok: true, event: null };
  const parsed = UserEventSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, error: `bad ${String(type)} event: ${parsed.error.issues[0]?.message ?? 'invalid'}` };
  return { ok: true, event: parsed.data };
}

export { takeSseEvents } from './sse.ts';
