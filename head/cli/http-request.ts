/**
 * One HTTP(S) request with the whole body as text, through node:http. The CLI's JSON calls use it
 * instead of the global fetch because Node 20 loads fetch's implementation (undici) on first use,
 * about 30 ms of CPU: a third of what `distribute status` may spend starting (bench/startup.ts).
 * Streaming calls (uploads, downloads, log follow) still use fetch, where that cost is noise.
 */
import http from 'node:http';

export interface TextResponse {
  status: number;
  text: string;
}

export interface TextRequest {
  method: string;
  headers: Record<string, string>;
  body?: string;
}

/** Resolves with any status; rejects only when no response arrives (the error's `code` says why). */
export async function requestText(url: string, init: TextRequest): Promise<TextResponse> {
  const target = new URL(url);
  // node:https (and TLS with it) is loaded only for an https head.
  const transport = target.protocol === 'https:' ? (await import('node:https')).default : http;
  const headers = init.body === undefined ? init.headers : { ...init.headers, 'content-length': String(Buffer.byteLength(init.body)) };
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
