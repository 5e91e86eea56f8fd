/** The one line `status` and `nodes` print about the head's archive disk. */
import type { ArchiveDisk } from '../../shared/api/head-api.ts';
import { formatSize } from '../../shared/format.ts';
import { terminalSafe } from '../../shared/terminal-text.ts';

/** `archive disk: 41.2 GiB free of 250.0 GiB`, or `DISK FULL: …` / `DISK LOW: …` with the reason. */
export function archiveLine(d: ArchiveDisk): string {
  const space = d.freeBytes === null ? 'free space unknown' : `${formatSize(d.freeBytes)} free${d.totalBytes ? ` of ${formatSize(d.totalBytes)}` : ''}`;
  const waiting = d.waiting?.length
    ? `\n${d.waiting.length} finished result${d.waiting.length === 1 ? '' : 's'} wait${d.waiting.length === 1 ? 's' : ''} on ${d.waiting.length === 1 ? 'its node' : 'their nodes'} for space: ${d.waiting.slice(0, 5).map((w) => terminalSafe(w.job)).join(', ')}${d.waiting.length > 5 ? ', …' : ''}`
    : '';
  if (d.state === 'ok') return `archive disk: ${space}${waiting}`;
  return `${d.state === 'full' ? 'DISK FULL' : 'DISK LOW'}: ${terminalSafe(d.reason ?? space)}${waiting}`;
}
