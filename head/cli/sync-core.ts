/**
 * "Sync my results": pull every ended batch of the calling user into
 * `<out>/<namespace>/<batch>/<job>/…`, with pull's rules (files present with the same sha256 are
 * skipped, downloads resume and are verified). Used by `distribute sync` and the tray's "Sync my
 * results" menu item. One batch failing does not stop the others; it is reported.
 */
import os from 'node:os';
import path from 'node:path';
import { routes } from '../../shared/api/routes.ts';
import type { BatchSummaryView } from '../core/views.ts';
import { CliError, EXIT, HeadClient } from './client.ts';
import { pullBatch } from './pull-core.ts';

/** Where results go when no folder is given. */
export const DEFAULT_RESULTS_DIR = path.join(os.homedir(), 'distribute-results');

export interface SyncTarget {
  /** Head URL; the tray passes `headUrl` instead. */
  head?: string;
  headUrl?: string;
  /** The user's token on the head. */
  token: string;
  /** Results folder (`~` is expanded); the tray passes `resultsDir` instead. Default ~/distribute-results. */
  out?: string;
  resultsDir?: string;
  /** Show a progress bar on stderr (the CLI on a terminal); default quiet. */
  progress?: boolean;
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
  /** One line for a notification or the terminal. */
  message: string;
  user: string | null;
  out: string;
  batches: SyncedBatch[];
  pulled: number;
  skipped: number;
  bytes: number;
  /** The CLI exit code matching this outcome. */
  exitCode: number;
}

/** `~` and `~/x` become the home folder; everything else is resolved against the cwd. */
export function expandHome(p: string): string {
  if (p === '~') return os.homedir();
  if (p.startsWith('~/')) return path.join(os.homedir(), p.slice(2));
  return path.resolve(p);
}

/** The batches a sync pulls: ended ones owned by `me`, oldest first. */
export function batchesToSync(batches: BatchSummaryView[], me: string): BatchSummaryView[] {
  return batches.filter((b) => b.phase === 'ended' && b.owner === me).sort((a, b) => (a.endedAt ?? 0) - (b.endedAt ?? 0));
}

/**
 * Pull every ended batch of the token's user. Never throws: failures are in the report
 * (`ok: false`, `message`), so the tray can show them as they are.
 */
export async function syncResults(target: SyncTarget): Promise<SyncReport> {
  const out = expandHome(target.out ?? target.resultsDir ?? DEFAULT_RESULTS_DIR);
  const report: SyncReport = { ok: false, message: '', user: null, out, batches: [], pulled: 0, skipped: 0, bytes: 0, exitCode: EXIT.failed };
  let client: HeadClient;
  let mine: BatchSummaryView[];
  try {
    client = new HeadClient({ head: target.head ?? target.headUrl, token: target.token });
    const me = await client.json<{ name: string }>(routes.whoami());
    report.user = me.name;
    const status = await client.json<{ batches: BatchSummaryView[] }>(routes.status());
    mine = batchesToSync(status.batches, me.name);
  } catch (err) {
    report.message = (err as Error).message;
    report.exitCode = err instanceof CliError ? err.exitCode : EXIT.failed;
    return report;
  }
  for (const b of mine) {
    const entry: SyncedBatch = { id: b.id, namespace: b.namespace, batch: b.name, pulled: 0, skipped: 0, bytes: 0 };
    try {
      const s = await pullBatch(client, b.id, out, [], { quiet: !target.progress });
      Object.assign(entry, { pulled: s.pulled, skipped: s.skipped, bytes: s.bytes });
    } catch (err) {
      entry.error = (err as Error).message;
    }
    report.batches.push(entry);
    report.pulled += entry.pulled;
    report.skipped += entry.skipped;
    report.bytes += entry.bytes;
  }
  const failed = report.batches.filter((b) => b.error);
  report.ok = failed.length === 0;
  report.exitCode = report.ok ? EXIT.ok : EXIT.failed;
  const size = `${(report.bytes / 1024 / 1024).toFixed(1)} MiB`;
  report.message = mine.length === 0
    ? `no finished batches of ${report.user} to sync`
    : `${report.pulled} files (${size}) pulled from ${mine.length} batches into ${out}, ${report.skipped} already present`
      + (failed.length ? `; ${failed.length} failed: ${failed.map((b) => `${b.namespace}/${b.batch}: ${b.error}`).join('; ')}` : '');
  return report;
}
