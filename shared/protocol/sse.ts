/**
 * Reading the head's user event stream (`GET /api/events`, server-sent events) without zod: the
 * frame splitter, and the one fact `distribute wait` needs from a frame. Kept apart from
 * ./events.ts (the schemas, which load zod) so a command that only listens starts faster.
 */

/**
 * Split an SSE byte stream into events: returns the `data` of each complete event in `buffer`
 * and what is left over. Comment lines (`:`) and other fields are ignored.
 */
export function takeSseEvents(buffer: string): { events: string[]; rest: string } {
  const events: string[] = [];
  const normalized = buffer.replace(/\r\n?/g, '\n');
  const blocks = normalized.split('\n\n');
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, ''));
    if (data.length) events.push(data.join('\n'));
  }
  return { events, rest };
}

/**
 * The batch id of a `batch-ended` event's data, or null for anything else (another kind, not JSON,
 * no string id). A hint only: whoever acts on it asks the head for the batch itself; the whole
 * event is checked by ./events.ts `decodeUserEvent`.
 */
export function endedBatchId(data: string): string | null {
  let raw: unknown;
  try {
    raw = JSON.parse(data);
  } catch {
    return null;
  }
  const event = raw as { type?: unknown; batchId?: unknown } | null;
  return event?.type === 'batch-ended' && typeof event.batchId === 'string' ? event.batchId : null;
}
