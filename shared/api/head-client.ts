/**
 * The typed client of the head's user API, used by the CLI, the tray and the tests. Each method
 * is one route of ./routes.ts; JSON answers are checked against ./head-api.ts (through the shapes
 * generated from it, ./answer-shapes.ts); nothing throws:
 * every failure is an {@link ApiError} value. It needs only `fetch` (or a {@link Transport}), so it
 * runs anywhere.
 */
import { fetchTransport, parseAnswer, sendJson, sendRaw, sendStream, type AnswerParser, type ApiResult, type StreamAnswer, type StreamRequest, type Transport } from './api-result.ts';
import * as shapes from './answer-shapes.ts';
import { manifestParser } from './manifest-check.ts';
import type {
  BatchDetail, BatchView, CreatedBatch, FileStreamRequest, CreatedUser, CreateUserRequest, Health, KilledBatch, LogsQuery, Manifest, NodeFit, NodePaused, NodeResumed, Nodes, RemovedBatch, Status, MissingInput, RemovedNode, RetriedBatch, RotatedEnrollment, RetryRequest, StoredInput, Users, WhoAmI,
} from './head-api.ts';
import { EVENTS_PATH, routes, SHA256_HEADER } from './routes.ts';
import { checkShape, shapeParser, type Shape } from './shape.ts';

/**
 * How an answer is checked: its generated shape (./answer-shapes.ts: same verdict as its zod
 * schema, without loading zod, so a short CLI command such as `distribute status` starts fast), or
 * for an answer no shape can express a loader of its parser, called once the request is sent (the
 * manifest's names and paths are checked by functions: ./manifest-check.ts, zod-free as well).
 */
type Check<T> = Shape<T> | (() => Promise<AnswerParser<T>>);

/** Default head URL when none is configured. */
export const DEFAULT_HEAD_URL = 'http://127.0.0.1:8952';

export interface HeadClientOptions {
  /** Head URL, e.g. `http://lab-server:8952` (a trailing slash is ignored). */
  base: string;
  /** Bearer token of a user, the admin or (for agent routes) an agent. */
  token: string;
  /** Where the token came from (`--token-file F`, ...): a 401 refusal names it. */
  tokenSource?: string;
  /** Default: the global fetch. */
  transport?: Transport;
}

/** A refused `createBatch`: when no node can run the batch, `nodes` says why for each known node. */
export type CreateBatchResult = ApiResult<CreatedBatch> & { nodes?: NodeFit[] };

export class HeadClient {
  readonly base: string;
  readonly token: string;
  private readonly transport: Transport;
  private readonly server: string;

  constructor(private readonly opts: HeadClientOptions) {
    this.base = opts.base.replace(/\/+$/, '');
    this.token = opts.token;
    this.transport = opts.transport ?? fetchTransport;
    this.server = `the head at ${this.base}`;
  }

  /** Absolute URL of a route path. */
  url(path: string): string {
    return this.base + path;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { authorization: `Bearer ${this.token}`, ...extra };
  }

  /** A refused token says which one it was: the usual cause is a stale file or variable. */
  private named<T>(r: ApiResult<T>): ApiResult<T> {
    if (r.ok || r.error.kind !== 'refused' || r.error.status !== 401 || !this.opts.tokenSource) return r;
    return { ok: false, error: { ...r.error, message: `${r.error.message} (the token from ${this.opts.tokenSource})` } };
  }

  /**
   * `what` names the answer in a refusal of a malformed one (`the head sent a manifest the client
   * refuses: ...`); `check` is the answer's shape, or a loader of its zod schema.
   */
  private async call<T>(method: string, path: string, what: string, check: Check<T>, body?: unknown): Promise<ApiResult<T>> {
    const answer = { from: 'the head', what };
    const parser = typeof check === 'function' ? check : shapeParser(check);
    return this.named(await sendJson(this.transport, this.url(path), { method, headers: this.headers(), body }, this.server, answer, parser));
  }

  private get<T>(path: string, what: string, check: Check<T>): Promise<ApiResult<T>> {
    return this.call('GET', path, what, check);
  }

  private post<T>(path: string, body: unknown, what: string, check: Check<T>): Promise<ApiResult<T>> {
    return this.call('POST', path, what, check, body);
  }

  /** Any request returning the raw 2xx response (streamed bodies); non-2xx is a `refused` error. */
  async raw(path: string, init: RequestInit = {}): Promise<ApiResult<Response>> {
    const headers = this.headers(init.headers as Record<string, string> | undefined);
    return this.named(await sendRaw(this.transport, this.url(path), { ...init, headers }, this.server));
  }

  /** A download read as a stream (files): through the transport's `stream` when it has one. */
  private async download(path: string, init: Omit<StreamRequest, 'headers'> & { headers?: Record<string, string> }): Promise<ApiResult<StreamAnswer>> {
    return this.named(await sendStream(this.transport, this.url(path), { ...init, headers: this.headers(init.headers) }, this.server));
  }

  health(): Promise<ApiResult<Health>> { return this.get(routes.health(), 'a health answer', shapes.HealthShape); }
  whoami(): Promise<ApiResult<WhoAmI>> { return this.get(routes.whoami(), 'a whoami answer', shapes.WhoAmIShape); }
  status(): Promise<ApiResult<Status>> { return this.get(routes.status(), 'a status', shapes.StatusShape); }
  nodes(): Promise<ApiResult<Nodes>> { return this.get(routes.nodes(), 'a node list', shapes.NodesShape); }

  /** Pause a node through the head; `duration` like `1h` or `until-resumed`. */
  pauseNode(name: string, duration: string): Promise<ApiResult<NodePaused>> {
    return this.post(routes.nodePause(name), { duration }, 'a pause answer', shapes.NodePausedShape);
  }
  resumeNode(name: string): Promise<ApiResult<NodeResumed>> { return this.post(routes.nodeResume(name), {}, 'a resume answer', shapes.NodeResumedShape); }

  /** Forget a node and revoke its credential (admin). */
  removeNode(name: string): Promise<ApiResult<RemovedNode>> { return this.call('DELETE', routes.node(name), 'a removal answer', shapes.RemovedNodeShape); }
  /** Replace the agent enrollment token (admin). */
  rotateEnrollment(): Promise<ApiResult<RotatedEnrollment>> { return this.post(routes.enrollmentRotate(), {}, 'a new enrollment token', shapes.RotatedEnrollmentShape); }

  createUser(req: CreateUserRequest): Promise<ApiResult<CreatedUser>> { return this.post(routes.users(), req, 'a new user', shapes.CreatedUserShape); }
  users(): Promise<ApiResult<Users>> { return this.get(routes.users(), 'a user list', shapes.UsersShape); }

  /**
   * Register a batch (then upload its `missing` inputs and submit it). When no node can run it the
   * head refuses with 422 and the result carries `nodes`, each with its reasons.
   */
  async createBatch(spec: unknown, opts: { replace?: boolean; force?: boolean } = {}): Promise<CreateBatchResult> {
    const r = await this.post(routes.batches(), { spec, replace: opts.replace === true, ...(opts.force ? { force: true } : {}) }, 'a new batch', shapes.CreatedBatchShape);
    if (r.ok || r.error.kind !== 'refused') return r;
    const refusal = checkShape(shapes.CreateBatchRefusalShape, r.error.body);
    return refusal.success ? { ...r, nodes: refusal.data.nodes } : r;
  }

  /** Upload one input file by its sha256 (the head verifies it). `body` (a Node stream, say) is streamed. */
  async uploadInput(sha256: string, size: number, body: AsyncIterable<Uint8Array>): Promise<ApiResult<StoredInput>> {
    const init: RequestInit & { duplex: 'half' } = {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(size), [SHA256_HEADER]: sha256 },
      body: streamBody(body),
      duplex: 'half',
    };
    const sent = await this.raw(routes.input(sha256), init);
    if (!sent.ok) return sent;
    return parseAnswer(sent.value.status, await sent.value.text(), { from: 'the head', what: 'an upload answer' }, shapeParser(shapes.StoredInputShape));
  }

  submitBatch(id: string): Promise<ApiResult<BatchView>> { return this.post(routes.batchSubmit(id), {}, 'a submitted batch', shapes.BatchViewShape); }

  /**
   * A batch without its jobs (`?jobs=none`): what a poll of its progress needs, a few hundred
   * bytes instead of a view of every job (~20 ms of a CLI's CPU for 300 finished jobs). An older
   * head answers with the jobs, which the BatchView shape strips.
   */
  batchSummary(ref: string): Promise<ApiResult<BatchView>> {
    return this.get(`${routes.batch(ref)}?jobs=none`, 'a batch', shapes.BatchViewShape);
  }

  /** A batch and all its jobs; `files` adds each finished job's archived bytes and file count. */
  batch(ref: string, opts: { files?: boolean } = {}): Promise<ApiResult<BatchDetail>> {
    return this.get(routes.batch(ref) + (opts.files ? '?files' : ''), 'a batch', shapes.BatchDetailShape);
  }

  killBatch(ref: string): Promise<ApiResult<KilledBatch>> { return this.post(routes.batchKill(ref), {}, 'a kill answer', shapes.KilledBatchShape); }

  /**
   * Re-queue a batch's failed or cancelled jobs. When the head deleted inputs the jobs need, it
   * refuses with 409 and the result carries the `missing` inputs to upload before asking again.
   */
  async retryBatch(ref: string, req: RetryRequest): Promise<ApiResult<RetriedBatch> & { missing?: MissingInput[] }> {
    const r = await this.post(routes.batchRetry(ref), req, 'a retry answer', shapes.RetriedBatchShape);
    if (r.ok || r.error.kind !== 'refused') return r;
    const refusal = checkShape(shapes.RetryRefusalShape, r.error.body);
    return refusal.success ? { ...r, missing: refusal.data.missing } : r;
  }

  /** Delete a batch and its archive (running jobs are killed first). */
  removeBatch(ref: string): Promise<ApiResult<RemovedBatch>> {
    return this.call('DELETE', routes.batchArchive(ref), 'a removal answer', shapes.RemovedBatchShape);
  }

  /** Checked without zod (./manifest-check.ts): a pull never loads it. */
  manifest(ref: string): Promise<ApiResult<Manifest>> { return this.call('GET', routes.batchManifest(ref), 'a manifest', async () => manifestParser); }

  /**
   * One archived file, streamed. With `start` > 0 a Range request resumes a partial download:
   * the answer is 206 when the head honoured it, else 200 with the whole file.
   */
  file(ref: string, job: string, path: string, start = 0): Promise<ApiResult<StreamAnswer>> {
    return this.download(routes.batchFile(ref, job, path), { method: 'GET', headers: start ? { range: `bytes=${start}-` } : {} });
  }

  /**
   * Many archived files in one answer, in the order asked: a file stream (shared/file-stream.ts)
   * for the caller to read and check. At most {@link MAX_STREAM_FILES} files, and a request body
   * under 64 KiB. An older head answers 404 `no route ...`.
   */
  fileStream(ref: string, files: FileStreamRequest['files']): Promise<ApiResult<StreamAnswer>> {
    return this.download(routes.batchFileStream(ref), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ files } satisfies FileStreamRequest) });
  }

  /**
   * The user event stream (`GET /api/events`: server-sent events, shared/protocol/sse.ts reads
   * them), open until `signal` aborts or the head goes away; through the transport's `stream`
   * when it has one (the CLI's node:http: `distribute wait` never loads fetch's undici).
   */
  events(signal?: AbortSignal): Promise<ApiResult<StreamAnswer>> {
    return this.download(EVENTS_PATH, { method: 'GET', headers: { accept: 'text/event-stream' }, signal });
  }

  /** A job's logs as a text stream (archived, or live with `follow`). */
  jobLogs(ref: string, job: string, query: LogsQuery = {}): Promise<ApiResult<Response>> {
    const params = new URLSearchParams();
    if (query.tail !== undefined) params.set('tail', String(query.tail));
    if (query.stream) params.set('stream', query.stream);
    if (query.follow) params.set('follow', '1');
    const q = params.toString();
    return this.raw(routes.jobLogs(ref, job) + (q ? `?${q}` : ''));
  }
}

/** A request body streamed from any async iterable of bytes (fetch wants a web stream). */
function streamBody(source: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const it = source[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await it.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel(reason) {
      await it.return?.(reason);
    },
  });
}
