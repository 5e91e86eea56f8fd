/** Test helpers for the typed clients: a transport that answers from a table, and a valid node view. */
import type { Transport } from '../../../../shared/api/api-result.ts';

/** A transport answering JSON calls from a table (method + path → status + body); records what was sent. */
export function fakeTransport(answers: Record<string, { status: number; body: unknown } | Error>) {
  const sent: { method: string; url: string; headers: Record<string, string>; body?: string }[] = [];
  const transport: Transport = {
    async text(url, init) {
      sent.push({ url, ...init });
      const a = answers[`${init.method} ${new URL(url).pathname}`];
      if (!a) return { status: 404, text: JSON.stringify({ error: 'no such route' }) };
      if (a instanceof Error) throw a;
      return { status: a.status, text: typeof a.body === 'string' ? a.body : JSON.stringify(a.body) };
    },
    fetch: async () => { throw new Error('no streaming in this test'); },
  };
  return { transport, sent };
}

export const node = { name: 'n1', state: 'idle', owner: null, lastSeen: 1, paused: null, agentVersion: '0.1.0', current: null,
  capabilities: { tags: ['python3'], physicalCores: 4, logicalCores: 8, memoryBytes: 8, gpus: [] } };
