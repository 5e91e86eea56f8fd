/**
 * File transfers between agent and head over HTTP, streamed from and to disk so memory stays flat
 * whatever the file size. Downloads land in `<dest>.partial` and are renamed only after the
 * sha256 matched; uploads carry their sha256 in a header that the head verifies.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { SHA256_HEADER } from '../../shared/api/routes.ts';
import { sha256OfFile } from '../../shared/hash-file.ts';
import { sendFileChunks } from '../../shared/send-file.ts';
import { httpsKeepAliveAgent } from './lab-ca.ts';

/** node:http or node:https for `url`. */
export const agentFor = (url: URL) => (url.protocol === 'https:' ? https : http);
const keepAlive = { http: new http.Agent({ keepAlive: true, maxSockets: 8 }) };
/** The connection pool for `url`: https ones trust the lab CA, if one is set (lab-ca.ts). */
export const poolFor = (url: URL) => (url.protocol === 'https:' ? httpsKeepAliveAgent() : keepAlive.http);

/** sha256 and size of a local file (shared/hash-file.ts: two reused 1 MiB buffers). */
export function sha256File(file: string): Promise<{ sha256: string; size: number }> {
  return sha256OfFile(file);
}

/** GET `url` into `dest`, verifying `sha256`. Throws with the head's error message on failure. */
export async function downloadFile(url: string, token: string, dest: string, sha256: string): Promise<void> {
  await fsp.mkdir(path.dirname(dest), { recursive: true });
  const u = new URL(url);
  const partial = `${dest}.partial`;
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = agentFor(u).get(u, { headers: { authorization: `Bearer ${token}` }, agent: poolFor(u) }, resolve);
    req.on('error', reject);
  });
  if (res.statusCode !== 200) {
    const body = await readAll(res);
    throw new Error(`download ${u.pathname} failed: HTTP ${res.statusCode} ${errorText(body)}`);
  }
  const hash = crypto.createHash('sha256');
  try {
    await pipeline(res, new Transform({ transform(c: Buffer, _e, cb) { hash.update(c); cb(null, c); } }), fs.createWriteStream(partial));
  } catch (err) {
    await fsp.rm(partial, { force: true });
    throw err;
  }
  const got = hash.digest('hex');
  if (got !== sha256) {
    await fsp.rm(partial, { force: true });
    throw new Error(`download ${u.pathname}: sha256 mismatch (${got})`);
  }
  await fsp.rename(partial, dest);
}

/**
 * PUT a file to `url`, hashing it on the way: the sha256 goes in an HTTP trailer, which the head
 * checks against what it received, so the file is read once. Resolves with its size and sha256.
 */
export async function uploadFile(url: string, token: string, file: string, extraHeaders: Record<string, string> = {}): Promise<{ sha256: string; size: number }> {
  const u = new URL(url);
  const hash = crypto.createHash('sha256');
  let size = 0;
  let sha256 = '';
  const fh = await fsp.open(file);
  try {
    await new Promise<void>((resolve, reject) => {
      const req = agentFor(u).request(u, {
        method: 'PUT',
        agent: poolFor(u),
        headers: { ...extraHeaders, authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', trailer: SHA256_HEADER },
      }, (res) => {
        readAll(res).then((body) => {
          if (res.statusCode && res.statusCode < 300) resolve();
          else reject(new Error(`upload ${u.pathname} failed: HTTP ${res.statusCode} ${errorText(body)}`));
        }, reject);
      });
      req.on('error', reject);
      // Read through a few reused buffers (shared/send-file.ts), hashing each chunk as it goes out.
      sendFileChunks(fh, req, { onChunk: (chunk) => { hash.update(chunk); size += chunk.length; } }).then(() => {
        if (req.destroyed) return; // the error or the early answer settles the promise
        sha256 = hash.digest('hex');
        req.addTrailers({ [SHA256_HEADER]: sha256 });
        req.end();
      }, (err: Error) => req.destroy(err));
    });
  } finally {
    await fh.close();
  }
  return { sha256, size };
}

/** A response's whole body as text. */
export async function readAll(res: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The `{ error }` of a JSON error answer, else the start of the body. */
export function errorText(body: string): string {
  try {
    return (JSON.parse(body) as { error?: string }).error ?? body.slice(0, 200);
  } catch {
    return body.slice(0, 200);
  }
}
