/**
 * The few Matrix client-server API calls the head needs to message a user, over fetch:
 * log in with a password (when no access token is given, or the token is rejected), find the direct
 * room with a user in the `m.direct` account data or create one, and send `m.room.message` events.
 *
 * Every method returns its failure as a value ({@link MatrixFailure}) that says whether trying
 * again later could help; nothing here throws on a network or server error, so the caller (the
 * notifier's retry loop) decides what to do.
 */
import type { MatrixConfig } from './matrix-config.ts';

/** Why a call failed, and whether the same call later could succeed. */
export interface MatrixFailure {
  /** Human-readable reason, e.g. `HTTP 500 M_UNKNOWN: Internal error` or `network: ECONNREFUSED`. */
  reason: string;
  /** HTTP status, absent for network errors and timeouts. */
  status?: number;
  /** Matrix `errcode`, when the server sent one. */
  errcode?: string;
  /** Network errors, timeouts, 5xx and rate limits are retryable; a wrong password or a refused invite is not. */
  retryable: boolean;
  /** From `M_LIMIT_EXCEEDED`: the server asks us to wait this long. */
  retryAfterMs?: number;
}

export type MatrixResult<T> = { ok: true; value: T } | { ok: false; failure: MatrixFailure };

/** `m.room.message` content as sent (text with an optional HTML rendering). */
export interface MessageContent {
  msgtype: 'm.text' | 'm.notice';
  body: string;
  format?: 'org.matrix.custom.html';
  formatted_body?: string;
}

export interface MatrixClientOptions {
  /** Injected for tests of transport failures; defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Per-request timeout; a homeserver that hangs must not hold the queue forever. */
  timeoutMs?: number;
  /** Warnings that do not fail the call (e.g. the DM room could not be recorded in m.direct). */
  log?: (line: string) => void;
}

type Json = Record<string, unknown>;

const ok = <T>(value: T): MatrixResult<T> => ({ ok: true, value });
const fail = <T>(failure: MatrixFailure): MatrixResult<T> => ({ ok: false, failure });

/** A logged-in (or token-holding) Matrix account that can message users directly. */
export class MatrixClient {
  private accessToken: string | undefined;
  private deviceId: string | undefined;
  /** Direct rooms found or created in this process, by user id. */
  private readonly rooms = new Map<string, string>();
  /** Rooms created whose m.direct entry could not be written yet; retried on the next message. */
  private readonly unrecorded = new Map<string, string>();
  /** Rooms from m.direct we could not send to (left, kicked): skip them and make a new one. */
  private readonly unusable = new Set<string>();
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;
  private readonly log: (line: string) => void;
  private readonly abort = new AbortController();

  constructor(private readonly config: MatrixConfig, options: MatrixClientOptions = {}) {
    this.accessToken = config.accessToken;
    this.deviceId = config.deviceId;
    this.fetchImpl = options.fetch ?? fetch;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.log = options.log ?? (() => {});
  }

  /** Aborts requests in flight (they fail with a non-retryable "closed" failure). */
  close(): void {
    this.abort.abort();
  }

  /** `POST /login` with m.login.password; keeps the device id so later logins reuse the device (and its txn ids). */
  async login(): Promise<MatrixResult<void>> {
    if (this.config.password === undefined) {
      return fail({ reason: 'no password configured to log in with', retryable: false });
    }
    const body: Json = {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: this.config.userId },
      password: this.config.password,
      initial_device_display_name: 'distribute head',
    };
    if (this.deviceId !== undefined) body.device_id = this.deviceId;
    const res = await this.request('POST', '/_matrix/client/v3/login', body, false);
    if (!res.ok) {
      if (res.failure.status === 403) return fail({ ...res.failure, reason: `login as ${this.config.userId} refused: ${res.failure.reason}` });
      return res;
    }
    const token = res.value.access_token;
    if (typeof token !== 'string' || token === '') return fail({ reason: 'login response has no access_token', retryable: true });
    this.accessToken = token;
    if (typeof res.value.device_id === 'string') this.deviceId = res.value.device_id;
    return ok(undefined);
  }

  /** `GET /account/whoami`: proves the credentials work (logging in first if needed); returns the user id. */
  async whoami(): Promise<MatrixResult<string>> {
    const res = await this.authed('GET', '/_matrix/client/v3/account/whoami', undefined);
    if (!res.ok) return res;
    const userId = res.value.user_id;
    if (typeof userId !== 'string') return fail({ reason: 'whoami response has no user_id', retryable: true });
    if (userId !== this.config.userId) {
      return fail({ reason: `the access token belongs to ${userId}, not ${this.config.userId}`, retryable: false });
    }
    return ok(userId);
  }

  /**
   * The direct room with `userId`: the one remembered, else the newest usable room listed for the
   * user in our `m.direct` account data, else a new trusted private chat inviting the user (then
   * recorded in `m.direct` so clients show it as a DM and the next head start finds it).
   */
  async directRoomWith(userId: string): Promise<MatrixResult<string>> {
    const known = this.rooms.get(userId);
    if (known !== undefined) {
      await this.recordPending(userId);
      return ok(known);
    }
    const direct = await this.getDirect();
    if (!direct.ok) return direct;
    const listed = direct.value[userId];
    if (Array.isArray(listed)) {
      const candidates = listed.filter((r): r is string => typeof r === 'string' && !this.unusable.has(r));
      const room = candidates[candidates.length - 1];
      if (room !== undefined) {
        this.rooms.set(userId, room);
        return ok(room);
      }
    }
    const created = await this.authed('POST', '/_matrix/client/v3/createRoom', {
      is_direct: true,
      invite: [userId],
      preset: 'trusted_private_chat',
    });
    if (!created.ok) return created;
    const roomId = created.value.room_id;
    if (typeof roomId !== 'string') return fail({ reason: 'createRoom response has no room_id', retryable: true });
    this.rooms.set(userId, roomId);
    this.unrecorded.set(userId, roomId);
    await this.recordPending(userId, direct.value);
    return ok(roomId);
  }

  /**
   * `PUT /rooms/{roomId}/send/m.room.message/{txnId}`. The caller keeps `txnId` for every retry of
   * the same message: the server then returns the first event instead of posting a duplicate.
   */
  async sendMessage(roomId: string, content: MessageContent, txnId: string): Promise<MatrixResult<string>> {
    const path = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${encodeURIComponent(txnId)}`;
    const res = await this.authed('PUT', path, content as unknown as Json);
    if (!res.ok) return res;
    const eventId = res.value.event_id;
    if (typeof eventId !== 'string') return fail({ reason: 'send response has no event_id', retryable: true });
    return ok(eventId);
  }

  /**
   * Finds or creates the direct room with `userId` and sends `content` there. A room listed in
   * m.direct that refuses us (403: we left or were kicked) is skipped and a new one created once.
   */
  async sendToUser(userId: string, content: MessageContent, txnId: string): Promise<MatrixResult<{ roomId: string; eventId: string }>> {
    for (let round = 0; round < 2; round++) {
      const room = await this.directRoomWith(userId);
      if (!room.ok) return room;
      const sent = await this.sendMessage(room.value, content, txnId);
      if (sent.ok) return ok({ roomId: room.value, eventId: sent.value });
      if (sent.failure.status !== 403 || round === 1) return sent;
      this.log(`matrix: cannot post in ${room.value} (${sent.failure.reason}); creating a new direct room with ${userId}`);
      this.unusable.add(room.value);
      this.rooms.delete(userId);
    }
    return fail({ reason: 'unreachable', retryable: false });
  }

  private async getDirect(): Promise<MatrixResult<Record<string, unknown>>> {
    const res = await this.authed('GET', this.directPath(), undefined);
    if (!res.ok) return res.failure.errcode === 'M_NOT_FOUND' ? ok({}) : res;
    return ok(res.value);
  }

  private directPath(): string {
    return `/_matrix/client/v3/user/${encodeURIComponent(this.config.userId)}/account_data/m.direct`;
  }

  /** Writes pending rooms into m.direct, merging with what is there. Failure only warns: the message matters more. */
  private async recordPending(userId: string, current?: Record<string, unknown>): Promise<void> {
    const roomId = this.unrecorded.get(userId);
    if (roomId === undefined) return;
    let direct = current;
    if (direct === undefined) {
      const got = await this.getDirect();
      if (!got.ok) {
        this.log(`matrix: could not read m.direct to record room ${roomId}: ${got.failure.reason}`);
        return;
      }
      direct = got.value;
    }
    const listed = Array.isArray(direct[userId]) ? (direct[userId] as unknown[]) : [];
    const next = { ...direct, [userId]: listed.includes(roomId) ? listed : [...listed, roomId] };
    const put = await this.authed('PUT', this.directPath(), next);
    if (put.ok) this.unrecorded.delete(userId);
    else this.log(`matrix: could not record room ${roomId} in m.direct (will retry): ${put.failure.reason}`);
  }

  /** An authenticated request; logs in first when needed and once more when the token is rejected. */
  private async authed(method: string, path: string, body: Json | undefined): Promise<MatrixResult<Json>> {
    if (this.accessToken === undefined) {
      const login = await this.login();
      if (!login.ok) return login;
    }
    const first = await this.request(method, path, body, true);
    if (first.ok || first.failure.status !== 401) return first;
    if (this.config.password === undefined) {
      return fail({ ...first.failure, reason: `access token rejected (${first.failure.reason}); put a fresh access_token or a password in the Matrix config`, retryable: false });
    }
    this.accessToken = undefined;
    const login = await this.login();
    if (!login.ok) return login;
    return this.request(method, path, body, true);
  }

  private async request(method: string, path: string, body: Json | undefined, auth: boolean): Promise<MatrixResult<Json>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (auth && this.accessToken !== undefined) headers.authorization = `Bearer ${this.accessToken}`;
    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(this.config.homeserver + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.timeoutMs)]),
      });
      text = await response.text();
    } catch (err) {
      if (this.abort.signal.aborted) return fail({ reason: 'client closed', retryable: false });
      return fail({ reason: `network: ${describeNetworkError(err)}`, retryable: true });
    }
    let json: unknown;
    try {
      json = text === '' ? {} : JSON.parse(text);
    } catch {
      json = undefined;
    }
    const obj = json !== null && typeof json === 'object' && !Array.isArray(json) ? (json as Json) : undefined;
    if (response.ok) {
      return obj !== undefined ? ok(obj) : fail({ reason: `HTTP ${response.status} with a body that is not a JSON object`, status: response.status, retryable: true });
    }
    const errcode = typeof obj?.errcode === 'string' ? obj.errcode : undefined;
    const message = typeof obj?.error === 'string' ? obj.error : text.slice(0, 200) || response.statusText;
    const retryAfterMs = typeof obj?.retry_after_ms === 'number' ? obj.retry_after_ms : undefined;
    return fail({
      reason: `HTTP ${response.status}${errcode ? ` ${errcode}` : ''}: ${message}`,
      status: response.status,
      errcode,
      // 401 is retryable only through re-login, which authed() already tried.
      retryable: response.status >= 500 || response.status === 429 || response.status === 408,
      retryAfterMs,
    });
  }
}

/** fetch wraps the real cause (ECONNREFUSED, ENOTFOUND, timeout) in a generic TypeError; dig it out. */
function describeNetworkError(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError') return 'request timed out';
    const cause = (err as Error & { cause?: unknown }).cause;
    if (cause instanceof Error) {
      const code = (cause as NodeJS.ErrnoException).code;
      return code ? `${code} (${cause.message})` : cause.message;
    }
    return err.message;
  }
  return String(err);
}
