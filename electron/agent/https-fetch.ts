/**
 * `fetch` over node:https for a head whose certificate is signed by the lab CA. The global fetch
 * (undici) does not see the CA that `--ca` / `$DISTRIBUTE_CA` adds (electron/agent/lab-ca.ts), so
 * streaming calls to an https head go through here: same `Response` out, the body streamed both
 * ways (uploads from a Node stream, downloads as a web stream), with the lab CA trusted.
 */
import https from 'node:https';
import { Readable } from 'node:stream';
import type { Transport } from '../../shared/api/api-result.ts';
import { caOptions } from './lab-ca.ts';

/** A subset of fetch: method, headers, and a string, bytes, web stream, Node stream or async-iterable body. */
export const httpsFetch: typeof fetch = (input, init = {}) => new Promise<Response>((resolve, reject) => {
  const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
  const headers: Record<string, string> = {};
  new Headers(init.headers).forEach((value, key) => { headers[key] = value; });
  const req = https.request(url, { method: init.method ?? 'GET', headers, ...caOptions() }, (res) => {
    const out = new Headers();
    for (const [key, value] of Object.entries(res.headers)) {
      if (Array.isArray(value)) for (const v of value) out.append(key, v);
      else if (value !== undefined) out.set(key, value);
    }
    const status = res.statusCode ?? 0;
    const empty = status === 204 || status === 304 || init.method === 'HEAD';
    if (empty) res.resume();
    resolve(new Response(empty ? null : (Readable.toWeb(res) as ReadableStream), { status, headers: out }));
  });
  req.on('error', (err) => reject(Object.assign(new TypeError('fetch failed'), { cause: err })));
  init.signal?.addEventListener('abort', () => req.destroy(new Error('aborted')));
  const body = init.body as unknown;
  if (body === undefined || body === null) req.end();
  else if (typeof body === 'string' || body instanceof Uint8Array) req.end(body);
  else if (body instanceof Readable || body instanceof ReadableStream || (typeof body === 'object' && Symbol.asyncIterator in body)) {
    const source = body instanceof Readable ? body
      : body instanceof ReadableStream ? Readable.fromWeb(body as import('node:stream/web').ReadableStream)
        : Readable.from(body as AsyncIterable<Uint8Array>);
    source.on('error', (err) => req.destroy(err));
    source.pipe(req);
  } else {
    req.destroy();
    reject(new TypeError('httpsFetch: unsupported body type'));
  }
});

/** A typed-client transport over {@link httpsFetch} (the tray's, when a lab CA is trusted). */
export const httpsTransport: Transport = {
  async text(url, init) {
    const res = await httpsFetch(url, init);
    return { status: res.status, text: await res.text() };
  },
  fetch: httpsFetch,
};
