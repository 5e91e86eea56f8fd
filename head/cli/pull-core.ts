/**
 * Pull as a sync: fetch a batch's manifest, pick files by include/exclude rules, skip files already
 * present with the same sha256, download the rest to `<file>.partial` (resuming a partial with an
 * HTTP Range request), verify the sha256 and rename into place. Used by `pull`, `sync` and the tray.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { routes } from '../../shared/api/routes.ts';
import { CliError, EXIT, type HeadClient } from './client.ts';
import { checkManifest, localPathInside } from './manifest-check.ts';
import { Progress } from './progress.ts';

export interface Rule { kind: 'include' | 'exclude'; pattern: RegExp }
export interface ManifestFile { job: string; path: string; size: number; sha256: string }
export interface Manifest { id: string; namespace: string; batch: string; files: ManifestFile[]; pending: string[] }

export type Decision = 'pull' | 'skip-identical' | 'excluded';
export interface PlannedFile extends ManifestFile { key: string; local: string; decision: Decision }

/**
 * Whether a file (key = `batch/job/path`, relative to the namespace) is wanted. The first rule
 * that matches decides; with no match, a file is wanted unless some rule is an include.
 */
export function wanted(key: string, rules: Rule[]): boolean {
  for (const r of rules) if (r.pattern.test(key)) return r.kind === 'include';
  return !rules.some((r) => r.kind === 'include');
}

export async function sha256Of(file: string): Promise<string | null> {
  try {
    const hash = crypto.createHash('sha256');
    await pipeline(fs.createReadStream(file, { highWaterMark: 1 << 20 }), new Transform({ transform(c: Buffer, _e, cb) { hash.update(c); cb(); } }));
    return hash.digest('hex');
  } catch {
    return null;
  }
}

/**
 * What a pull of `manifest` into `outDir` would do, file by file. Results land in
 * `<outDir>/<namespace>/<batch>/<job>/…`, the one layout of pull, sync, run and the tray.
 */
export async function planPull(manifest: Manifest, outDir: string, rules: Rule[]): Promise<PlannedFile[]> {
  const plan: PlannedFile[] = [];
  for (const f of manifest.files) {
    const rel = `${f.job}/${f.path}`;
    const key = `${manifest.batch}/${rel}`;
    // The manifest was checked field by field (checkManifest); this also proves the joined path stays inside --out.
    const inside = localPathInside(outDir, [manifest.namespace, manifest.batch, f.job, f.path]);
    if (!inside.ok) throw new CliError(`the head sent an unsafe path: ${inside.error}`, EXIT.failed);
    const local = inside.abs;
    let decision: Decision = wanted(key, rules) ? 'pull' : 'excluded';
    if (decision === 'pull') {
      const st = await fsp.stat(local).catch(() => null);
      if (st?.isFile() && st.size === f.size && (await sha256Of(local)) === f.sha256) decision = 'skip-identical';
    }
    plan.push({ ...f, key, local, decision });
  }
  return plan;
}

/**
 * Download one planned file into `<file>.partial`, then verify and rename into place. A partial
 * left by an interrupted pull is resumed with a Range request; one already complete (killed
 * between download and rename) is only verified. A resumed download whose checksum is wrong (the
 * partial came from an older version of the file) is restarted from zero once.
 */
export async function fetchFile(client: HeadClient, ref: string, f: PlannedFile, progress: Progress): Promise<void> {
  await fsp.mkdir(path.dirname(f.local), { recursive: true });
  const partial = `${f.local}.partial`;
  const st = await fsp.stat(partial).catch(() => null);
  if (st?.isFile() && st.size === f.size && (await sha256Of(partial)) === f.sha256) {
    progress.add(f.size);
    await fsp.rename(partial, f.local);
    return;
  }
  let start = st?.isFile() && st.size > 0 && st.size < f.size ? st.size : 0;
  if (start === 0) await fsp.rm(partial, { force: true });
  for (;;) {
    const res = await client.fetch(routes.batchFile(ref, f.job, f.path), { headers: start ? { range: `bytes=${start}-` } : {} });
    if (!res.ok || !res.body) throw new CliError(`downloading ${f.key} failed: HTTP ${res.status} ${await res.text()}`, EXIT.failed);
    if (res.status !== 206) start = 0;
    progress.add(start);
    // One pass: hash what is already there (a resumed download), then the bytes as they arrive.
    const hash = crypto.createHash('sha256');
    if (start) await pipeline(fs.createReadStream(partial, { end: start - 1, highWaterMark: 1 << 20 }), new Transform({ transform(c: Buffer, _e, cb) { hash.update(c); cb(); } }));
    // Never more bytes than the manifest announced: a head that keeps sending cannot fill the disk.
    let received = start;
    const hashing = new Transform({
      transform(c: Buffer, _e, cb) {
        received += c.length;
        if (received > f.size) return cb(new CliError(`the head sent more than the ${f.size} bytes of ${f.key}; download stopped`, EXIT.failed));
        hash.update(c);
        cb(null, c);
      },
    });
    await pipeline(progress.track(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream)), hashing, fs.createWriteStream(partial, { flags: start ? 'a' : 'w' }));
    const sha = hash.digest('hex');
    if (sha === f.sha256) break;
    await fsp.rm(partial, { force: true });
    if (start === 0) throw new CliError(`downloaded ${f.key} does not match its sha256 (got ${sha}); run pull again`, EXIT.failed);
    start = 0; // the resumed part came from another version of the file: once more from scratch
  }
  await fsp.rename(partial, f.local);
}

export interface PullSummary { batch: string; namespace: string; pulled: number; skipped: number; excluded: number; bytes: number; pendingJobs: string[]; files: { path: string; decision: Decision; size: number }[] }

export async function pullBatch(client: HeadClient, ref: string, outDir: string, rules: Rule[], opts: { dryRun?: boolean; quiet?: boolean }): Promise<PullSummary> {
  const checked = checkManifest(await client.json<unknown>(routes.batchManifest(ref)));
  if (!checked.ok) throw new CliError(checked.error, EXIT.failed);
  const manifest: Manifest = checked.manifest;
  const plan = await planPull(manifest, outDir, rules);
  const todo = plan.filter((p) => p.decision === 'pull');
  const bytes = todo.reduce((a, f) => a + f.size, 0);
  if (!opts.dryRun) {
    const progress = new Progress('pull', bytes, { quiet: opts.quiet });
    try {
      for (const f of todo) await fetchFile(client, manifest.id, f, progress);
    } finally {
      progress.stop();
    }
  }
  return {
    batch: manifest.batch, namespace: manifest.namespace, pulled: todo.length, bytes,
    skipped: plan.filter((p) => p.decision === 'skip-identical').length, excluded: plan.filter((p) => p.decision === 'excluded').length,
    pendingJobs: manifest.pending, files: plan.map((p) => ({ path: p.key, decision: p.decision, size: p.size })),
  };
}
