/**
 * Errors as values for every HTTP call of the typed clients (head and control endpoint): a call
 * never throws for a network failure, a refusal or a malformed answer; it returns an
 * {@link ApiError} saying which of the three it was, so each caller maps it its own way (the CLI
 * to an exit code, the tray to a notification, tests to an assertion).
 */

export type ApiError =
  /** No HTTP answer at all (connection refused, DNS, reset). */
  | { kind: 'unreachable'; message: string }
  /** The server answered with a non-2xx status; `message` is its `{ error }` text. */
  | { kind: 'refused'; status: number; message: string; body: unknown }
  /** A 2xx answer whose body is not what the contract says (not JSON, or failing its schema). */
  | { kind: 'bad-response'; status: number; message: string };

export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ApiError };

/** The answer of a request read whole as text. */
export interface TextAnswer { status: number; text: string }

/**
 * How the clients reach a server. `text` carries the JSON calls, `fetch` the streamed ones
 * (uploads, downloads, log follow). The default uses the global fetch for both; the CLI gives
 * `text` a node:http implementation so a short command never loads fetch's undici (~30 ms).
 */
export interface Transport {
  /** Resolves with any status; rejects only when no answer arrives. */
  text(url: string, init: { method: string; headers: Record<string, string>; body?: string }): Promise<TextAnswer>;
  fetch(url: string, init: RequestInit): Promise<Response>;
  /**
   * Optional: a streamed answer without fetch's web streams (the CLI's node:http one; for a 1 GiB
   * pull, undici and its web stream cost more CPU than the sha256 of the bytes). Resolves with any
   * status; rejects only when no answer arrives. Without it, streamed calls go through `fetch`.
   */
  stream?(url: string, init: StreamRequest): Promise<StreamAnswer>;
}

/** A request whose answer is read as a stream (its own body, if any, is small: JSON). */
export interface StreamRequest {
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** Aborts the request, or the reading of its answer (an event stream read until told to stop). */
  signal?: AbortSignal;
}

/** An answer read at the reader's pace: its status, its headers by name, its body as bytes. */
export interface StreamAnswer {
  status: number;
  /** A header's value (the name in any case), or null. */
  header(name: string): string | null;
  body: AsyncIterable<Uint8Array>;
  /** Stop reading: the rest of the body is dropped (the connection is not reused). */
  cancel(): Promise<void>;
}

/** The global fetch for everything. */
export const fetchTransport: Transport = {
  async text(url, init) {
    const res = await fetch(url, init);
    return { status: res.status, text: await res.text() };
  },
  fetch: (url, init) => fetch(url, init),
};

const ok = <T>(value: T): ApiResult<T> => ({ ok: true, value });
const err = <T>(error: ApiError): ApiResult<T> => ({ ok: false, error });

/** Why `fetch` failed, in a few words (`ECONNREFUSED`, `ENOTFOUND`, ...). */
function networkReason(e: unknown): string {
  const err = e as { code?: unknown; cause?: { code?: unknown; message?: unknown } } | null;
  const cause = err?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof err?.code === 'string') return err.code;
  if (typeof cause?.message === 'string') return cause.message;
  return e instanceof Error ? e.message : String(e);
}

/** The `{ error }` text of a refusal body, else a short excerpt of it, else `HTTP <status>`. */
function refusalMessage(status: number, text: string): { message: string; body: unknown } {
  try {
    const body: unknown = JSON.parse(text);
    const error = (body as { error?: unknown } | null)?.error;
    return { message: typeof error === 'string' ? error : `HTTP ${status}`, body };
  } catch {
    return { message: text.trim().slice(0, 300) || `HTTP ${status}`, body: text };
  }
}

/**
 * Send one request and hand back the raw response when it is 2xx (for streamed bodies: files,
 * logs). A non-2xx answer is read and becomes a `refused` error.
 */
export async function sendRaw(transport: Transport, url: string, init: RequestInit, server: string): Promise<ApiResult<Response>> {
  let res: Response;
  try {
    res = await transport.fetch(url, init);
  } catch (e) {
    return err({ kind: 'unreachable', message: `cannot reach ${server}: ${networkReason(e)}` });
  }
  if (res.ok) return ok(res);
  const text = await res.text().catch(() => '');
  return err({ kind: 'refused', status: res.status, ...refusalMessage(res.status, text) });
}

/** A fetch Response as a {@link StreamAnswer}. */
function fromFetch(res: Response): StreamAnswer {
  const body = res.body;
  return {
    status: res.status,
    header: (name) => res.headers.get(name),
    body: (body ?? (async function* () { /* no body */ })()) as AsyncIterable<Uint8Array>,
    cancel: async () => { await body?.cancel().catch(() => undefined); },
  };
}

/**
 * Like {@link sendRaw} for a streamed download (`init.body` is JSON text, if any): through the
 * transport's `stream` when it has one, else through `fetch`. A non-2xx answer is read and becomes
 * a `refused` error.
 */
export async function sendStream(transport: Transport, url: string, init: StreamRequest, server: string): Promise<ApiResult<StreamAnswer>> {
  let res: StreamAnswer;
  try {
    res = transport.stream ? await transport.stream(url, init) : fromFetch(await transport.fetch(url, init));
  } catch (e) {
    return err({ kind: 'unreachable', message: `cannot reach ${server}: ${networkReason(e)}` });
  }
  if (res.status >= 200 && res.status <= 299) return ok(res);
  let text = '';
  try {
    const decoder = new TextDecoder();
    for await (const c of res.body) {
      text += decoder.decode(c, { stream: true });
      // A refusal is a short JSON text; more than this is not worth reading.
      if (text.length > 64 * 1024) break;
    }
  } catch { /* the refusal's text is a nicety */ }
  await res.cancel();
  return err({ kind: 'refused', status: res.status, ...refusalMessage(res.status, text) });
}

/** Who answered (`the head`, `the agent`) and what the answer is (`a manifest`): for error messages. */
export interface Answer { from: string; what: string }

/**
 * What checks an answer: a zod schema, or a generated shape (./shape.ts `shapeParser`) that gives
 * the same verdict without loading zod. Either hands back the checked value or its first issue.
 */
export interface AnswerParser<T> {
  safeParse(data: unknown): { success: true; data: T } | { success: false; error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } };
}

/** A 2xx answer's text checked against `schema`: parsed, never cast. */
export function parseAnswer<T>(status: number, text: string, answer: Answer, schema: AnswerParser<T>): ApiResult<T> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return err({ kind: 'bad-response', status, message: `${answer.from} sent ${answer.what} that is not JSON: ${text.slice(0, 120)}` });
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.map(String).join('.') : '(root)';
    return err({ kind: 'bad-response', status, message: `${answer.from} sent ${answer.what} the client refuses: ${where}: ${issue?.message ?? 'malformed'}` });
  }
  return ok(parsed.data);
}

/**
 * One JSON call: `body` (if any) sent as JSON, the answer checked against `schema`. `server` names
 * the other side in connection errors (`the head at http://...`). `schema` may be a loader, called
 * once the request is sent, so a module of schemas can load while the other side answers.
 */
export async function sendJson<T>(
  transport: Transport, url: string, init: { method: string; headers: Record<string, string>; body?: unknown }, server: string, answer: Answer,
  schema: AnswerParser<T> | (() => Promise<AnswerParser<T>>),
): Promise<ApiResult<T>> {
  const headers = init.body === undefined ? init.headers : { ...init.headers, 'content-type': 'application/json' };
  const sent = transport.text(url, { method: init.method, headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  const ready = typeof schema === 'function' ? schema() : Promise.resolve(schema);
  // Awaited below only for a 2xx answer; a failed load must not be an unhandled rejection meanwhile.
  ready.catch(() => undefined);
  let reply: TextAnswer;
  try {
    reply = await sent;
  } catch (e) {
    return err({ kind: 'unreachable', message: `cannot reach ${server}: ${networkReason(e)}` });
  }
  if (reply.status < 200 || reply.status > 299) return err({ kind: 'refused', status: reply.status, ...refusalMessage(reply.status, reply.text) });
  return parseAnswer(reply.status, reply.text, answer, await ready);
}
