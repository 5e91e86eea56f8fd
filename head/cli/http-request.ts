/**
 * One HTTP(S) request with the whole body as text, through node:http. The CLI's JSON calls use it
 * instead of the global fetch because Node 20 loads fetch's implementation (undici) on first use,
 * about 30 ms of CPU: a third of what `distribute status` may spend starting (bench/startup.ts).
 * Downloads go through node:http as well ({@link requestStream}); uploads and log follow still use
 * fetch, where that cost is noise.
 */
import http from 'node:http';
import type { StreamAnswer, StreamRequest } from '../../shared/api/api-result.ts';

export interface TextResponse {
  status: number;
  text: string;
}

export interface TextRequest {
  method: string;
  headers: Record<string, string>;
  body?: string;
}

/**
 * The URL, the module that speaks its protocol (node:https, and TLS with it, is loaded only for an
 * https head) and the headers, with the body's length when there is one.
 */
async function prepare(url: string, init: { headers: Record<string, string>; body?: string }) {
  const target = new URL(url);
  const transport = target.protocol === 'https:' ? (await import('node:https')).default : http;
  const headers = init.body === undefined ? init.headers : { ...init.headers, 'content-length': String(Buffer.byteLength(init.body)) };
  return { target, transport, headers };
}

/** Resolves with any status; rejects only when no response arrives (the error's `code` says why). */
export async function requestText(url: string, init: TextRequest): Promise<TextResponse> {
  const { target, transport, headers } = await prepare(url, init);
  return new Promise((resolve, reject) => {
    const req = transport.request(target, { method: init.method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** An idle connection gives up after this long without a byte (what fetch's undici does by default). */
const STREAM_IDLE_MS = 300_000;

/**
 * A request whose answer is streamed, through node:http(s): the body is the response itself, read
 * chunk by chunk as the socket delivers them. fetch's undici would parse the same bytes in
 * WebAssembly and hand them over through a web stream: for a 1 GiB pull that cost more CPU than
 * hashing the bytes (bench/large-file.ts).
 */
export async function requestStream(url: string, init: StreamRequest): Promise<StreamAnswer> {
  const { target, transport, headers } = await prepare(url, init);
  return new Promise((resolve, reject) => {
    const req = transport.request(target, { method: init.method, headers, signal: init.signal }, (res) => {
      // A connection cut before the reader starts iterating must not be an uncaught 'error': the
      // response keeps it as its state, and the reader's iteration throws it.
      res.on('error', () => undefined);
      resolve({
        status: res.statusCode ?? 0,
        header: (name) => {
          const v = res.headers[name.toLowerCase()];
          return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
        },
        body: res,
        cancel: async () => { res.destroy(); },
      });
    });
    req.setTimeout(STREAM_IDLE_MS, () => req.destroy(Object.assign(new Error(`no data for ${STREAM_IDLE_MS / 1000} s`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end(init.body);
  });
}
