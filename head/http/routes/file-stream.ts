/**
 * `POST /api/batches/:ref/file-stream`: many archived files of a batch in one answer, a file stream
 * (shared/file-stream.ts), so a pull of thousands of small files is a few requests instead of one
 * each. Every asked file is looked up (job finished, file listed in its result.json) before the
 * answer starts, so a bad request is a plain 4xx; a file that changed or vanished after that (the
 * batch was removed or re-run meanwhile) ends the stream with an error frame. Each file's trailer is
 * the sha256 its result.json records (the client hashes what it received against the manifest).
 */
import { sha256Hex } from '../../../shared/hash-file.ts';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { Router } from 'express';
import { FileStreamRequestSchema } from '../../../shared/api/head-api.ts';
import { FILE_STREAM_TYPE, frameError, frameHeader, frameTrailer, streamEnd, streamStart } from '../../../shared/file-stream.ts';
import { sendFileChunks } from '../../../shared/send-file.ts';
import { RESULT_FILE } from '../../archive/archive.ts';
import { resolveInside } from '../../archive/safe-path.ts';
import { readResultFileSync } from './result-file.ts';
import { findReadable } from '../../core/batch-access.ts';
import { userOf } from '../auth.ts';
import type { AppDeps } from '../deps.ts';
import { HttpError, unwrap } from '../http-error.ts';

/** Files up to this size are read whole (several ahead of the one being sent); larger ones are streamed. */
const SMALL_FILE = 1 << 20;
/**
 * Files up to this size are read synchronously: from the page cache that is a few microseconds of
 * system time, while a promise read (open, stat, read, close, each a trip through the thread pool)
 * cost 3-5× the CPU here (2,000 files of 4 KB: 17-35 ms against 90 ms). The loop still yields at
 * every gathered write.
 */
const SYNC_READ = 64 * 1024;
/** Small files read ahead of the one being sent: hides the open/read/close latency of each. */
const READ_AHEAD = 16;
/** Frames of small files are gathered into writes of about this size (one chunk, one syscall). */
const GATHER_BYTES = 256 * 1024;

interface Planned { job: string; path: string; abs: string; size: number; sha256: string; data?: Buffer }

export function fileStreamRouter(deps: AppDeps): Router {
  const r = Router();
  const { cluster, archive } = deps;

  r.post('/api/batches/:ref/file-stream', async (req, res) => {
    const doc = unwrap(findReadable(cluster.book.batches.values(), userOf(req), req.params.ref as string));
    const parsed = FileStreamRequestSchema.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new HttpError(400, `invalid file-stream request: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'unknown problem'}`);
    }
    const jobs = new Map(doc.jobs.map((j) => [j.name, j]));
    const listed = new Map<string, Map<string, { size: number; sha256: string }> & { raw?: Buffer }>();
    const plan: Planned[] = [];
    for (const f of parsed.data.files) {
      if (jobs.get(f.job)?.status.state !== 'done') throw new HttpError(404, `no archived file '${f.job}/${f.path}': job '${f.job}' is not finished`);
      let files = listed.get(f.job);
      if (!files) {
        const stored = readResultFileSync(archive, doc.record.namespace, doc.record.name, f.job);
        if (!stored) throw new HttpError(404, `no archived result for job '${f.job}'`);
        files = Object.assign(new Map(stored.meta.files.map((m) => [m.path, { size: m.size, sha256: m.sha256 }])), { raw: stored.raw });
        listed.set(f.job, files);
      }
      const jobDir = archive.jobDir(doc.record.namespace, doc.record.name, f.job);
      if (f.path === RESULT_FILE && files.raw) {
        const raw = files.raw;
        plan.push({ job: f.job, path: f.path, abs: '', size: raw.length, sha256: sha256Hex(raw), data: raw });
        continue;
      }
      const m = files.get(f.path);
      const target = resolveInside(jobDir, f.path);
      if (!m || !target.ok || !target.abs) throw new HttpError(404, `no archived file '${f.job}/${f.path}'`);
      plan.push({ job: f.job, path: f.path, abs: target.abs, size: m.size, sha256: m.sha256 });
    }
    res.status(200).setHeader('content-type', FILE_STREAM_TYPE);
    await sendPlan(res, plan);
  });
  return r;
}

/** Write the planned files as one stream; stops early when the reader goes away. */
async function sendPlan(res: ServerResponse, plan: Planned[]): Promise<void> {
  const gathered: Buffer[] = [streamStart()];
  let gatheredBytes = 0;
  const flush = async () => {
    if (!gathered.length) return;
    const buf = gathered.length === 1 ? gathered[0] : Buffer.concat(gathered);
    gathered.length = 0;
    gatheredBytes = 0;
    if (!res.write(buf)) await drained(res);
  };
  const push = async (b: Buffer) => {
    gathered.push(b);
    gatheredBytes += b.length;
    if (gatheredBytes >= GATHER_BYTES) await flush();
  };
  const reads = new Map<number, Promise<Buffer | Error>>();
  const readSmall = (i: number) => {
    const p = plan[i];
    if (!p || p.data || p.size > SMALL_FILE || reads.has(i)) return;
    if (p.size <= SYNC_READ) {
      try {
        reads.set(i, Promise.resolve(fs.readFileSync(p.abs)));
      } catch (err) {
        reads.set(i, Promise.resolve(err as Error));
      }
      return;
    }
    reads.set(i, fsp.readFile(p.abs).catch((err: Error) => err));
  };
  for (let i = 0; i < plan.length; i++) {
    if (res.destroyed) return;
    const p = plan[i];
    for (let k = i; k < i + READ_AHEAD && k < plan.length; k++) readSmall(k);
    if (p.data || p.size <= SMALL_FILE) {
      const data = p.data ?? await reads.get(i)!;
      reads.delete(i);
      if (data instanceof Error || data.length !== p.size) {
        await push(frameError(`archived file '${p.job}/${p.path}' ${data instanceof Error ? 'cannot be read' : 'changed'} since it was listed; pull again`));
        await flush();
        res.end();
        return;
      }
      await push(frameHeader(p));
      await push(data);
      await push(frameTrailer(p.sha256));
      continue;
    }
    await flush();
    if (!await sendLarge(res, p)) return;
  }
  await push(streamEnd());
  await flush();
  res.end();
}

/** A large file, read in 1 MiB chunks through a few reused buffers (shared/send-file.ts) at the reader's pace. False when the answer was ended (error frame) or cut. */
async function sendLarge(res: ServerResponse, p: Planned): Promise<boolean> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(p.abs);
    const st = await fh.stat();
    if (st.size !== p.size) {
      await fh.close();
      throw new Error('changed');
    }
  } catch {
    res.end(frameError(`archived file '${p.job}/${p.path}' changed or vanished since it was listed; pull again`));
    return false;
  }
  res.write(frameHeader(p));
  let sent: number;
  try {
    sent = await sendFileChunks(fh, res, { end: p.size });
  } catch {
    sent = -1; // a read error: cut the answer below
  } finally {
    await fh.close();
  }
  // Shorter than its size now: the reader would wait for the rest; cut the answer so it sees a truncated stream.
  if (sent !== p.size) {
    res.destroy();
    return false;
  }
  res.write(frameTrailer(p.sha256));
  return true;
}

/** Resolves when `res` can take more, or is gone. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
