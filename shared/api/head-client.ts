/**
 * The typed client of the head's user API, used by the CLI, the tray and the tests. Each method
 * is one route of ./routes.ts; JSON answers are checked against ./head-api.ts; nothing throws:
 * every failure is an {@link ApiError} value. It needs only `fetch` (or a {@link Transport}), so it
 * runs anywhere.
 */
import { fetchTransport, parseAnswer, sendJson, sendRaw, type ApiResult, type Transport } from './api-result.ts';
import type {
  BatchDetail, BatchView, CreatedBatch, CreatedUser, CreateUserRequest, Health, KilledBatch, LogsQuery, Manifest, NodeFit, NodePaused, NodeResumed, Nodes, RemovedBatch, Status, MissingInput, RemovedNode, RetriedBatch, RotatedEnrollment, RetryRequest, StoredInput, Users, WhoAmI,
} from './head-api.ts';
import type * as HeadApiModule from './head-api.ts';
import { routes, SHA256_HEADER } from './routes.ts';
import type { z } from 'zod';

type HeadApi = typeof HeadApiModule;
let headApi: Promise<HeadApi> | null = null;
/**
 * The answer schemas (head-api.ts, and zod with it) load on the first call, while its request is
 * in flight: a short CLI command (`distribute status`) would otherwise spend ~60 ms of CPU before
 * it even sent its request (bench/startup.ts).
 */
function loadHeadApi(): Promise<HeadApi> {
  return (headApi ??= import('./head-api.ts'));
}

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
   * refuses: ...`); `schema` picks the answer's schema from head-api.ts (loaded while the request is in flight).
   */
  private async call<S extends z.ZodType>(method: string, path: string, what: string, schema: (api: HeadApi) => S, body?: unknown): Promise<ApiResult<z.infer<S>>> {
    const answer = { from: 'the head', what };
    return this.named(await sendJson(this.transport, this.url(path), { method, headers: this.headers(), body }, this.server, answer, () => loadHeadApi().then(schema)));
  }

  private get<S extends z.ZodType>(path: string, what: string, schema: (api: HeadApi) => S): Promise<ApiResult<z.infer<S>>> {
    return this.call('GET', path, what, schema);
  }

  private post<S extends z.ZodType>(path: string, body: unknown, what: string, schema: (api: HeadApi) => S): Promise<ApiResult<z.infer<S>>> {
    return this.call('POST', path, what, schema, body);
  }

  /** Any request returning the raw 2xx response (streamed bodies); non-2xx is a `refused` error. */
  async raw(path: string, init: RequestInit = {}): Promise<ApiResult<Response>> {
    const headers = this.headers(init.headers as Record<string, string> | undefined);
    return this.named(await sendRaw(this.transport, this.url(path), { ...init, headers }, this.server));
  }

  health(): Promise<ApiResult<Health>> { return this.get(routes.health(), 'a health answer', (a) => a.HealthSchema); }
  whoami(): Promise<ApiResult<WhoAmI>> { return this.get(routes.whoami(), 'a whoami answer', (a) => a.WhoAmISchema); }
  status(): Promise<ApiResult<Status>> { return this.get(routes.status(), 'a status', (a) => a.StatusSchema); }
  nodes(): Promise<ApiResult<Nodes>> { return this.get(routes.nodes(), 'a node list', (a) => a.NodesSchema); }

  /** Pause a node through the head; `duration` like `1h` or `until-resumed`. */
  pauseNode(name: string, duration: string): Promise<ApiResult<NodePaused>> {
    return this.post(routes.nodePause(name), { duration }, 'a pause answer', (a) => a.NodePausedSchema);
  }
  resumeNode(name: string): Promise<ApiResult<NodeResumed>> { return this.post(routes.nodeResume(name), {}, 'a resume answer', (a) => a.NodeResumedSchema); }

  /** Forget a node and revoke its credential (admin). */
  removeNode(name: string): Promise<ApiResult<RemovedNode>> { return this.call('DELETE', routes.node(name), 'a removal answer', (a) => a.RemovedNodeSchema); }
  /** Replace the agent enrollment token (admin). */
  rotateEnrollment(): Promise<ApiResult<RotatedEnrollment>> { return this.post(routes.enrollmentRotate(), {}, 'a new enrollment token', (a) => a.RotatedEnrollmentSchema); }

  createUser(req: CreateUserRequest): Promise<ApiResult<CreatedUser>> { return this.post(routes.users(), req, 'a new user', (a) => a.CreatedUserSchema); }
  users(): Promise<ApiResult<Users>> { return this.get(routes.users(), 'a user list', (a) => a.UsersSchema); }

  /**
   * Register a batch (then upload its `missing` inputs and submit it). When no node can run it the
   * head refuses with 422 and the result carries `nodes`, each with its reasons.
   */
  async createBatch(spec: unknown, opts: { replace?: boolean; force?: boolean } = {}): Promise<CreateBatchResult> {
    const r = await this.post(routes.batches(), { spec, replace: opts.replace === true, ...(opts.force ? { force: true } : {}) }, 'a new batch', (a) => a.CreatedBatchSchema);
    if (r.ok || r.error.kind !== 'refused') return r;
    const refusal = (await loadHeadApi()).CreateBatchRefusalSchema.safeParse(r.error.body);
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
    return parseAnswer(sent.value.status, await sent.value.text(), { from: 'the head', what: 'an upload answer' }, (await loadHeadApi()).StoredInputSchema);
  }

  submitBatch(id: string): Promise<ApiResult<BatchView>> { return this.post(routes.batchSubmit(id), {}, 'a submitted batch', (a) => a.BatchViewSchema); }

  /** A batch and all its jobs; `files` adds each finished job's archived bytes and file count. */
  batch(ref: string, opts: { files?: boolean } = {}): Promise<ApiResult<BatchDetail>> {
    return this.get(routes.batch(ref) + (opts.files ? '?files' : ''), 'a batch', (a) => a.BatchDetailSchema);
  }

  killBatch(ref: string): Promise<ApiResult<KilledBatch>> { return this.post(routes.batchKill(ref), {}, 'a kill answer', (a) => a.KilledBatchSchema); }

  /**
   * Re-queue a batch's failed or cancelled jobs. When the head deleted inputs the jobs need, it
   * refuses with 409 and the result carries the `missing` inputs to upload before asking again.
   */
  async retryBatch(ref: string, req: RetryRequest): Promise<ApiResult<RetriedBatch> & { missing?: MissingInput[] }> {
    const r = await this.post(routes.batchRetry(ref), req, 'a retry answer', (a) => a.RetriedBatchSchema);
    if (r.ok || r.error.kind !== 'refused') return r;
    const refusal = (await loadHeadApi()).RetryRefusalSchema.safeParse(r.error.body);
    return refusal.success ? { ...r, missing: refusal.data.missing } : r;
  }

  /** Delete a batch and its archive (running jobs are killed first). */
  removeBatch(ref: string): Promise<ApiResult<RemovedBatch>> {
    return this.call('DELETE', routes.batchArchive(ref), 'a removal answer', (a) => a.RemovedBatchSchema);
  }

  manifest(ref: string): Promise<ApiResult<Manifest>> { return this.get(routes.batchManifest(ref), 'a manifest', (a) => a.ManifestSchema); }

  /**
   * One archived file, streamed. With `start` > 0 a Range request resumes a partial download:
   * the answer is 206 when the head honoured it, else 200 with the whole file.
   */
  file(ref: string, job: string, path: string, start = 0): Promise<ApiResult<Response>> {
    return this.raw(routes.batchFile(ref, job, path), { headers: start ? { range: `bytes=${start}-` } : {} });
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
