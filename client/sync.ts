/**
 * "Sync my results": pull every ended batch of the calling user into
 * `<out>/<namespace>/<batch>/<job>/…`, with pull's rules (files present with the same sha256 are
 * skipped, downloads resume and are verified). Used by `distribute sync` and the tray's "Sync my
 * results" menu item. One batch failing does not stop the others; it is reported.
 */
import os from 'node:os';
import path from 'node:path';
import type { BatchView } from '../shared/api/head-api.ts';
import { formatSize } from '../shared/format.ts';
import { HeadClient } from '../shared/api/head-client.ts';
import { pullBatch, type PullFailure, type TransferProgress } from './pull.ts';

/** Where results go when no folder is given. */
export const DEFAULT_RESULTS_DIR = path.join(os.homedir(), 'distribute-results');

export interface SyncTarget {
  /** The head, with the user's token. */
  client: HeadClient;
  /** Results folder (`~` is expanded). Default ~/distribute-results. */
  out?: string;
  /** Byte progress per batch (the CLI's bar); default none. */
  progress?: (totalBytes: number) => TransferProgress;
}

export interface SyncedBatch {
  id: string;
  namespace: string;
  batch: string;
  pulled: number;
  skipped: number;
  bytes: number;
  error?: string;
}

export interface SyncReport {
  /** False when the head could not be asked or any batch failed. */
  ok: boolean;
  /** Why the head could not be asked (null when it could). */
  failure: PullFailure | null;
  /** One line for a notification or the terminal. */
  message: string;
  user: string | null;
  out: string;
  batches: SyncedBatch[];
  pulled: number;
  skipped: number;
  bytes: number;
}

/** `~` and `~/x` become the home folder; everything else is resolved against the cwd. */
export function expandHome(p: string): string {
  if (p === '~') return os.homedir();
  if (p.startsWith('~/')) return path.join(os.homedir(), p.slice(2));
  return path.resolve(p);
}

/** The batches a sync pulls: ended ones owned by `me`, oldest first. */
export function batchesToSync(batches: BatchView[], me: string): BatchView[] {
  return batches.filter((b) => b.phase === 'ended' && b.owner === me).sort((a, b) => (a.endedAt ?? 0) - (b.endedAt ?? 0));
}

/**
 * Pull every ended batch of the token's user. Never throws: failures are in the report
 * (`ok: false`, `message`), so the tray can show them as they are.
 */
export async function syncResults(target: SyncTarget): Promise<SyncReport> {
  const { client } = target;
  const out = expandHome(target.out ?? DEFAULT_RESULTS_DIR);
  const report: SyncReport = { ok: false, failure: null, message: '', user: null, out, batches: [], pulled: 0, skipped: 0, bytes: 0 };
  const me = await client.whoami();
  const status = me.ok ? await client.status() : me;
  if (!me.ok || !status.ok) {
    const failure = !me.ok ? me.error : !status.ok ? status.error : null;
    report.failure = failure;
    report.message = failure?.message ?? '';
    return report;
  }
  report.user = me.value.name;
  const mine = batchesToSync(status.value.batches, me.value.name);
  for (const b of mine) {
    const entry: SyncedBatch = { id: b.id, namespace: b.namespace, batch: b.name, pulled: 0, skipped: 0, bytes: 0 };
    const s = await pullBatch(client, b.id, out, [], { progress: target.progress });
    if (s.ok) Object.assign(entry, { pulled: s.value.pulled, skipped: s.value.skipped, bytes: s.value.bytes });
    else entry.error = s.error.message;
    report.batches.push(entry);
    report.pulled += entry.pulled;
    report.skipped += entry.skipped;
    report.bytes += entry.bytes;
  }
  const failed = report.batches.filter((b) => b.error);
  report.ok = failed.length === 0;
  const size = formatSize(report.bytes);
  report.message = mine.length === 0
    ? `no finished batches of ${report.user} to sync`
    : `${report.pulled} files (${size}) pulled from ${mine.length} batches into ${out}, ${report.skipped} already present`
      + (failed.length ? `; ${failed.length} failed: ${failed.map((b) => `${b.namespace}/${b.batch}: ${b.error}`).join('; ')}` : '');
  return report;
}
