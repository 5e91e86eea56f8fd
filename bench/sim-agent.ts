/**
 * A simulated agent for load tests: speaks the real protocol over a real WebSocket (hello,
 * heartbeats, job-started, job-finished) but "runs" each job instantly. Its one 30-byte result file
 * travels as a real agent's small results do: inside job-finished (base64, with its size and
 * sha256 on the file list) when the head's welcome offers inline results, else over the HTTP result
 * route with its sha256 header. `BENCH_SIM_UPLOAD=1` makes it upload even to a head that takes
 * inline results (the figures before inline results). Like a real agent it says `takesAhead` in its
 * hello and runs a job assigned ahead once the job before it has ended (`BENCH_SIM_NO_AHEAD=1`:
 * it does not, as agents before jobs in hand). Many of them share one process.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import WebSocket from 'ws';
import {
  AGENT_WS_PATH, PROTOCOL_VERSION, RUN_KEY_HEADER, SHA256_HEADER, decodeHeadMessage, encode, routes,
  type AgentMessage, type HeadMessage,
} from '../shared/protocol/index.ts';
import { VERSION } from '../shared/version.ts';

type Assign = Extract<HeadMessage, { type: 'assign' }>;

/**
 * One keep-alive connection pool for every simulated agent's uploads: the load generator shares
 * the 2 cores with the head, so it should spend as little as it can. With `fetch` it used 1.8 ms
 * of CPU per job, with this 0.75 ms (2,000-job runs, 2026-11-30).
 */
const uploads = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** PUT `body` to `url`; resolves with the status and the answer's text. */
function put(url: string, headers: Record<string, string>, body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'PUT', agent: uploads, headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export class SimAgent {
  private ws: WebSocket | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  /** Jobs whose result the head acknowledged as archived. */
  archived = 0;
  /** Jobs assigned ahead (a job in hand, while the head counted this agent busy). */
  ahead = 0;
  /** Anything unexpected (other ack status, upload errors). */
  readonly errors: string[] = [];
  /** Called after every acknowledged result. */
  onAck: () => void = () => {};
  /** Bytes of results the head takes inline per report (its welcome's `inlineResults`; 0: none). */
  private inlineBytes = 0;
  /** The job being run (jobs run one after another). */
  private running: Promise<void> = Promise.resolve();

  /** `token` enrolls the node; the credential from the welcome replaces it (as in a real agent). */
  constructor(readonly name: string, private readonly headUrl: string, private token: string) {}

  /** Connect and say hello; resolves on welcome. */
  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.headUrl.replace(/^http/, 'ws') + AGENT_WS_PATH, { headers: { authorization: `Bearer ${this.token}` } });
      this.ws = ws;
      ws.on('open', () => this.send({
        type: 'hello', protocol: PROTOCOL_VERSION, agentVersion: VERSION, name: this.name,
        capabilities: { tags: ['sim'], physicalCores: 1, logicalCores: 1, memoryBytes: 1024 ** 3, gpus: [] }, held: [], built: [],
        // As a real agent: it keeps a job assigned `ahead` and starts it when its running one ends.
        ...(process.env.BENCH_SIM_NO_AHEAD === '1' ? {} : { takesAhead: true }),
      }));
      ws.on('message', (raw) => {
        const decoded = decodeHeadMessage(raw);
        if (!decoded.ok) {
          this.errors.push(decoded.error);
          return;
        }
        const m = decoded.message;
        if (m.type === 'welcome') {
          if (m.credential) this.token = m.credential;
          this.inlineBytes = process.env.BENCH_SIM_UPLOAD === '1' ? 0 : m.inlineResults ?? 0;
          this.heartbeat = setInterval(() => this.send({ type: 'heartbeat', at: Date.now() }), m.heartbeatMs);
          resolve();
        } else if (m.type === 'assign') {
          if (m.ahead) this.ahead++;
          // One job at a time, in the order assigned: a job in hand (`ahead`) starts when the one
          // before it has ended, as on a real one-core agent.
          this.running = this.running.then(() => this.runJob(m)).catch((err) => { this.errors.push(`${m.job}: ${(err as Error).message}`); });
        } else if (m.type === 'result-ack') {
          if (m.status === 'archived') this.archived++;
          else this.errors.push(`${m.runId}: ack ${m.status} ${m.missing?.join(',') ?? ''}`);
          this.onAck();
        }
      });
      ws.on('close', (code, reason) => {
        if (this.heartbeat) clearInterval(this.heartbeat);
        reject(new Error(`closed ${code} ${reason.toString()}`));
      });
      ws.on('error', reject);
    });
  }

  private send(m: AgentMessage): void {
    this.ws?.send(encode(m));
  }

  private async runJob(a: Assign): Promise<void> {
    const ref = { runId: a.runId };
    const startedAt = Date.now();
    this.send({ type: 'job-started', ...ref });
    const body = Buffer.from(`result of ${a.job} on ${this.name}\n`);
    const sha256 = crypto.createHash('sha256').update(body).digest('hex');
    const files = [{ path: 'out.txt', size: body.length, sha256 }];
    if (body.length <= this.inlineBytes) {
      // As a real agent with results within the allowance: no upload and no job-exited.
      const endedAt = Date.now();
      this.send({
        type: 'job-finished', ...ref, result: { outcome: 'succeeded', exitCode: 0 }, startedAt, endedAt, runMs: endedAt - startedAt,
        files, inline: [{ path: 'out.txt', data: body.toString('base64') }],
      });
      return;
    }
    const res = await put(this.headUrl + routes.agentResult(a.runId, 'out.txt'),
      { authorization: `Bearer ${this.token}`, [RUN_KEY_HEADER]: a.runKey, 'content-type': 'application/octet-stream', [SHA256_HEADER]: sha256 }, body);
    if (res.status !== 201) throw new Error(`upload HTTP ${res.status}: ${res.text}`);
    const endedAt = Date.now();
    this.send({
      type: 'job-finished', ...ref, result: { outcome: 'succeeded', exitCode: 0 }, startedAt, endedAt, runMs: endedAt - startedAt,
      files,
    });
  }

  close(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.ws?.removeAllListeners('close');
    this.ws?.close();
  }
}
