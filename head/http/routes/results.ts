/** Archived results: the manifest a pull syncs against, single files, and job logs (live or archived). */
import { sha256Hex } from '../../../shared/hash-file.ts';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Router, type Response } from 'express';
import { isActive } from '../../../shared/job/state.ts';
import type { Manifest, ManifestFile } from '../../../shared/api/head-api.ts';
import { SHA256_HEADER } from '../../../shared/api/routes.ts';
import { sendFileChunks } from '../../../shared/send-file.ts';
import { terminalSafe } from '../../../shared/terminal-text.ts';
import { RESULT_FILE, STDERR_FILE, STDOUT_FILE } from '../../archive/archive.ts';
import { resolveInside } from '../../archive/safe-path.ts';
import { readResultFileSync } from './result-file.ts';
import { tailLines } from '../../core/live-logs.ts';
import { readLastLines } from '../../archive/tail-file.ts';
import { findReadable } from '../../core/batch-access.ts';
import { userOf } from '../auth.ts';
import { BoundedWriter } from '../bounded-writer.ts';
import { wildcardPath } from '../wildcard-path.ts';
import type { AppDeps } from '../deps.ts';
import { HttpError, unwrap } from '../http-error.ts';

export function resultsRouter(deps: AppDeps): Router {
  const r = Router();
  const { cluster, archive } = deps;

  /** Every archived file of the batch's finished jobs: `{ job, path, size, sha256 }`. */
  r.get('/api/batches/:ref/manifest', async (req, res) => {
    const doc = unwrap(findReadable(cluster.book.batches.values(), userOf(req), req.params.ref));
    const files: ManifestFile[] = [];
    const pending: string[] = [];
    for (const job of doc.jobs) {
      if (job.status.state !== 'done') { pending.push(job.name); continue; }
      const stored = readResultFileSync(archive, doc.record.namespace, doc.record.name, job.name);
      if (!stored) continue;
      for (const f of stored.meta.files) files.push({ job: job.name, path: f.path, size: f.size, sha256: f.sha256 });
      files.push({ job: job.name, path: RESULT_FILE, size: stored.raw.length, sha256: sha256Hex(stored.raw) });
    }
    res.json({ id: doc.record.id, namespace: doc.record.namespace, batch: doc.record.name, files, pending } satisfies Manifest);
  });

  r.get('/api/batches/:ref/files/:job/*path', async (req, res) => {
    const doc = unwrap(findReadable(cluster.book.batches.values(), userOf(req), req.params.ref));
    const job = req.params.job;
    if (!doc.spec.jobs.some((j) => j.name === job)) throw new HttpError(404, `batch has no job '${job}'`);
    const rel = wildcardPath(req);
    const target = resolveInside(archive.jobDir(doc.record.namespace, doc.record.name, job), rel);
    if (!target.ok || !target.abs) throw new HttpError(400, `refused path: ${target.ok ? rel : target.error}`);
    let st: fs.Stats;
    try {
      st = await fs.promises.lstat(target.abs);
    } catch {
      throw new HttpError(404, `no archived file '${job}/${rel}'`);
    }
    if (!st.isFile()) throw new HttpError(404, `'${job}/${rel}' is not a file`);
    const meta = readResultFileSync(archive, doc.record.namespace, doc.record.name, job)?.meta;
    const sha = meta?.files.find((f) => f.path === target.rel)?.sha256;
    if (sha) res.setHeader(SHA256_HEADER, sha);
    res.setHeader('content-type', 'application/octet-stream');
    const start = parseRange(req.headers.range, st.size) ?? 0;
    if (start > 0) {
      res.status(206);
      res.setHeader('content-range', `bytes ${start}-${st.size - 1}/${st.size}`);
    }
    res.setHeader('content-length', String(st.size - start));
    await sendArchived(res, target.abs, start, st.size);
  });

  /**
   * A job's logs: from the archive when finished; while it runs (or is paused), its output so far
   * from the first line (`live-logs.ts`). `?follow` then keeps the response open and streams new
   * output until the job ends; `?tail=N` starts N lines back. `x-job-state` says which it was.
   */
  r.get('/api/batches/:ref/jobs/:job/logs', async (req, res) => {
    const doc = unwrap(findReadable(cluster.book.batches.values(), userOf(req), req.params.ref));
    const name = req.params.job;
    const job = doc.jobs.find((j) => j.name === name);
    if (!job) throw new HttpError(404, `batch '${doc.record.name}' has no job '${name}'`);
    const stream = req.query.stream === 'stderr' ? 'stderr' : req.query.stream === 'stdout' ? 'stdout' : 'both';
    const tail = tailOf(req.query.tail);
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    res.setHeader('x-job-state', job.status.state);
    if (job.status.state === 'done') {
      const dir = archive.jobDir(doc.record.namespace, doc.record.name, name);
      if (tail === undefined) {
        // Streamed file by file at the reader's pace: a large log costs the head a read buffer, not its size.
        for (const [which, file] of [['stdout', STDOUT_FILE], ['stderr', STDERR_FILE]] as const) {
          if (stream !== 'both' && stream !== which) continue;
          try {
            await pipeline(fs.createReadStream(path.join(dir, file), { highWaterMark: 1 << 16 }), res, { end: false });
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'ENOENT') { res.destroy(); return; }
          }
        }
        res.end();
        return;
      }
      // The last N lines of stdout followed by stderr lie within the last N of each.
      let text = '';
      for (const [which, file] of [['stdout', STDOUT_FILE], ['stderr', STDERR_FILE]] as const) {
        if (stream !== 'both' && stream !== which) continue;
        text += (await readLastLines(path.join(dir, file), tail)) ?? '';
      }
      res.end(tailLines(text, tail));
      return;
    }
    // From here on nothing awaits until the listener is attached: the snapshot and the live
    // chunks after it meet without a gap or an overlap.
    const wanted = (which: 'stdout' | 'stderr') => stream === 'both' || stream === which;
    const snap = cluster.logs.snapshot(doc.record.id, name);
    const dropped = snap.droppedBytes ? `[${snap.droppedBytes} bytes of earlier output are not kept while the job runs; the archived log will have them]\n` : '';
    const soFar = tailLines(snap.chunks.filter((c) => wanted(c.stream)).map((c) => c.data).join(''), tail);
    if (req.query.follow === undefined) {
      res.end((tail === undefined ? dropped : '') + soFar);
      return;
    }
    // A follow may be quiet for as long as the job is: no idle timeout for it. What a slow reader
    // cannot take is skipped, not buffered (bounded-writer.ts).
    req.socket.setTimeout(0);
    res.flushHeaders();
    const out = new BoundedWriter(res);
    out.write((tail === undefined ? dropped : '') + soFar);
    const onLog = (e: { batchId: string; job: string; stream: 'stdout' | 'stderr'; data: string }) => {
      if (e.batchId === doc.record.id && e.job === name && wanted(e.stream)) out.write(e.data);
    };
    const onEnd = (e: { batchId: string; job: string }) => {
      if (e.batchId === doc.record.id && e.job === name) finish();
    };
    const finish = () => {
      cluster.events.off('job:log', onLog);
      cluster.events.off('job:finished', onEnd);
      cluster.events.off('batch:ended', onBatch);
      out.end();
    };
    const onBatch = (e: { batchId: string }) => { if (e.batchId === doc.record.id) finish(); };
    cluster.events.on('job:log', onLog);
    cluster.events.on('job:finished', onEnd);
    cluster.events.on('batch:ended', onBatch);
    req.on('close', finish);
    if (!isActive(job.status)) out.write(`(job ${terminalSafe(name)} is queued; waiting for it to start)\n`);
  });

  return r;
}

/**
 * Bytes `start` to `size` of an archived file as the answer's body, through a few reused buffers
 * (shared/send-file.ts). A file that cannot be read, or that ends early, cuts the answer: the
 * client sees fewer bytes than the content-length and keeps what it got as a partial to resume.
 */
async function sendArchived(res: Response, abs: string, start: number, size: number): Promise<void> {
  let fh: fs.promises.FileHandle | null = null;
  let sent = -1;
  try {
    fh = await fs.promises.open(abs);
    sent = await sendFileChunks(fh, res, { start, end: size });
  } catch { /* cut below */ } finally {
    await fh?.close();
  }
  if (sent === size - start) res.end();
  else res.destroy();
}

/** `?tail=N`: a whole number of lines, or undefined for everything. */
function tailOf(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new HttpError(400, `tail must be a whole number of lines, not '${String(value)}'`);
  return n;
}

function parseRange(header: string | undefined, size: number): number | null {
  if (!header) return null;
  const m = /^bytes=(\d+)-$/.exec(header.trim());
  if (!m) return null;
  const start = Number(m[1]);
  return start > 0 && start < size ? start : null;
}
