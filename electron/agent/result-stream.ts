/**
 * Sends many small result files of one run to the head in one request: a file stream
 * (shared/file-stream.ts) POSTed to the run's `result-stream` route, each file read once, hashed as
 * it goes into the stream, its sha256 in the frame's trailer (the head checks every file against
 * it before renaming it into the run's staging). A trivial job's two logs and its few small
 * results used to cost one request each.
 */
import fs from 'node:fs';
import type http from 'node:http';
import { StoredResultFilesSchema } from '../../shared/api/head-api.ts';
import { sha256Hex } from '../../shared/hash-file.ts';
import { FILE_STREAM_TYPE, frameHeader, frameTrailer, streamEnd, streamStart } from '../../shared/file-stream.ts';
import type { ResultFile } from '../../shared/protocol/index.ts';
import { agentFor, errorText, poolFor, readAll } from './transfer.ts';

/** A head older than the result-stream route answered 404 `no route`: upload file by file. */
export class NoResultStream extends Error {}

/**
 * POST `files` (read whole: the caller sends only small ones) as one stream to `url`. Resolves
 * with each file's size and sha256 once the head stored them all; rejects with
 * `upload ... failed: HTTP <status> <reason>` (see upload-retry.ts) or {@link NoResultStream}.
 */
export async function uploadResultStream(url: string, token: string, files: { rel: string; abs: string }[], extraHeaders: Record<string, string> = {}): Promise<ResultFile[]> {
  const u = new URL(url);
  const sent: ResultFile[] = [];
  const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = agentFor(u).request(u, {
      method: 'POST',
      agent: poolFor(u),
      headers: { ...extraHeaders, authorization: `Bearer ${token}`, 'content-type': FILE_STREAM_TYPE },
    }, (res: http.IncomingMessage) => {
      answered = true;
      readAll(res).then((body) => resolve({ status: res.statusCode ?? 0, body }), reject);
    });
    // A head that refuses early (403, 507) answers and closes while the body is still going out:
    // the broken write that follows must not hide its answer.
    let answered = false;
    req.on('error', (err) => { if (!answered) reject(err); });
    void (async () => {
      const out: Buffer[] = [streamStart()];
      let bytes = 0;
      const flush = async () => {
        const buf = Buffer.concat(out);
        out.length = 0;
        bytes = 0;
        if (!req.write(buf)) await new Promise<void>((r) => { req.once('drain', r); req.once('close', r); });
      };
      for (const f of files) {
        // Synchronous: a small file just written by the job is in the page cache; a read through
        // the thread pool costs several times the CPU of the read itself.
        const data = fs.readFileSync(f.abs);
        const sha256 = sha256Hex(data);
        sent.push({ path: f.rel, size: data.length, sha256 });
        out.push(frameHeader({ path: f.rel, size: data.length }), data, frameTrailer(sha256));
        bytes += data.length;
        if (bytes >= 256 * 1024) await flush();
        if (req.destroyed) return;
      }
      out.push(streamEnd());
      await flush();
      req.end();
    })().catch((err: unknown) => req.destroy(err as Error));
  });
  if (answer.status === 404 && /^no route /.test(errorText(answer.body))) throw new NoResultStream();
  if (answer.status < 200 || answer.status > 299) throw new Error(`upload ${u.pathname} failed: HTTP ${answer.status} ${errorText(answer.body)}`);
  let stored: { path: string; size: number }[];
  try {
    stored = StoredResultFilesSchema.parse(JSON.parse(answer.body)).files;
  } catch {
    throw new Error(`upload ${u.pathname}: the head's answer is not a list of stored files: ${answer.body.slice(0, 200)}`);
  }
  // Every file sent must be stored with its size; otherwise report it as a refusal (retried).
  const have = new Map(stored.map((s) => [s.path, s.size]));
  const lost = sent.filter((f) => have.get(f.path) !== f.size);
  if (lost.length) throw new Error(`upload ${u.pathname} failed: HTTP 500 the head did not confirm ${lost.map((f) => f.path).join(', ').slice(0, 200)}`);
  return sent;
}
