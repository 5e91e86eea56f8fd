/**
 * The typed client of an agent's local control endpoint (`distribute pause|resume`, tests). Paths
 * from ./routes.ts `controlRoutes`, answers checked against ./control-api.ts, failures as values.
 */
import { fetchTransport, sendJson, type ApiResult, type Transport } from './api-result.ts';
import { ControlStateSchema, type ControlState } from './control-api.ts';
import { controlRoutes } from './routes.ts';

export interface ControlClientOptions {
  /** Port on 127.0.0.1 (the agent writes it to `<workdir>/control-port`). */
  port: number;
  /** Contents of `<workdir>/control-token`. */
  token: string;
  /** Default: the global fetch. */
  transport?: Transport;
}

export class ControlClient {
  readonly base: string;
  private readonly transport: Transport;

  constructor(private readonly opts: ControlClientOptions) {
    this.base = `http://127.0.0.1:${opts.port}`;
    this.transport = opts.transport ?? fetchTransport;
  }

  private call(method: string, path: string, body?: unknown): Promise<ApiResult<ControlState>> {
    const headers = { authorization: `Bearer ${this.opts.token}` };
    return sendJson(this.transport, this.base + path, { method, headers, body }, `the agent at 127.0.0.1:${this.opts.port}`, { from: 'the agent', what: 'a state' }, ControlStateSchema);
  }

  state(): Promise<ApiResult<ControlState>> { return this.call('GET', controlRoutes.state()); }
  /** Pause for `duration` (`'45s'`, `'1h30m'`, ...) or `'until-resumed'`; capped by the agent's maximum. */
  pause(duration: string): Promise<ApiResult<ControlState>> { return this.call('POST', controlRoutes.pause(), { duration }); }
  resume(): Promise<ApiResult<ControlState>> { return this.call('POST', controlRoutes.resume(), {}); }
}
