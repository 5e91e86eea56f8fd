/** The one line `status` and `nodes` print about the head's archive disk. */
import type { ArchiveDisk } from '../../shared/api/head-api.ts';
import { formatSize } from '../../shared/format.ts';

/** `archive disk: 41.2 GiB free of 250.0 GiB`, or `DISK FULL: …` / `DISK LOW: …` with the reason. */
export function archiveLine(d: ArchiveDisk): string {
  const space = d.freeBytes === null ? 'free space unknown' : `${formatSize(d.freeBytes)} free${d.totalBytes ? ` of ${formatSize(d.totalBytes)}` : ''}`;
  if (d.state === 'ok') return `archive disk: ${space}`;
  return `${d.state === 'full' ? 'DISK FULL' : 'DISK LOW'}: ${d.reason ?? space}`;
}
