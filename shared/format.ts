/**
 * The one place durations, sizes and clock times are written for people: the CLI's tables and
 * messages, Matrix notifications, the tray's menu and tooltip. The status page and the dashboard
 * (plain browser JS) load the compiled copy of this very module (see docs/architecture.md).
 * No imports, no Node APIs: it must run in a browser as it is.
 */

/**
 * A duration in whole seconds (rounded down), largest units first, zero parts left out: `45s`,
 * `3m 12s`, `1h 30m`, `2h 5s`; under one second (and negative input, which only clock skew
 * produces) `0s`. Hours are not folded into days, so a three-day run reads `72h 10m`, and the
 * output parses back with shared/duration.ts `parseDuration`. `units` keeps only that many of the
 * largest parts (`2h 14m` instead of `2h 14m 3s` in a notification); `ms` writes a positive
 * duration under one second in milliseconds (`15ms`, for retry delays).
 */
export function formatDuration(ms: number, opts: { units?: number; ms?: boolean } = {}): string {
  if (opts.ms && ms > 0 && ms < 1000) return `${Math.round(ms)}ms`;
  if (!Number.isFinite(ms) || ms < 1000) return '0s';
  let rest = Math.floor(ms / 1000);
  const h = Math.floor(rest / 3600);
  rest -= h * 3600;
  const m = Math.floor(rest / 60);
  const s = rest - m * 60;
  const parts: string[] = [];
  if (h) parts.push(`${h}h`);
  if (m) parts.push(`${m}m`);
  if (s) parts.push(`${s}s`);
  const all = [h, m, s];
  // Two units means the two largest *places* from the first non-zero one (1h 0m 5s → `1h`, not `1h 5s`).
  if (opts.units !== undefined) {
    const first = all.findIndex((v) => v > 0);
    const kept = all.map((v, i) => (i >= first && i < first + opts.units! ? v : 0));
    return ['h', 'm', 's'].flatMap((u, i) => (kept[i] ? [`${kept[i]}${u}`] : [])).join(' ');
  }
  return parts.join(' ');
}

/** `1.5 GiB`: bytes in the largest binary unit that keeps the number at least 1. */
export function formatSize(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/**
 * `HH:MM` (24 h) of an instant. `timeZone` undefined means the machine's zone, which is what
 * people want; tests pass 'UTC'.
 */
export function formatClock(epochMs: number, timeZone?: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone })
    .formatToParts(new Date(epochMs));
  const hour = parts.find((p) => p.type === 'hour')?.value ?? '00';
  const minute = parts.find((p) => p.type === 'minute')?.value ?? '00';
  return `${hour}:${minute}`;
}
