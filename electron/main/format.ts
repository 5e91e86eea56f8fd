/**
 * Small text formatters the tray menu and tooltip share. Pure: the clock and the time zone are
 * arguments, so tests give the same answer on every machine.
 */

/**
 * A duration the way a person glances at it: `45 s`, `12 min`, `1 h 05 min`, `2 d 3 h`.
 * Negative input (clock skew between agent and tray) reads as zero.
 */
export function humanizeDuration(ms: number): string {
  const totalSeconds = Math.max(0, Math.floor(ms / 1000));
  if (totalSeconds < 60) return `${totalSeconds} s`;
  const totalMinutes = Math.floor(totalSeconds / 60);
  if (totalMinutes < 60) return `${totalMinutes} min`;
  const totalHours = Math.floor(totalMinutes / 60);
  if (totalHours < 24) return `${totalHours} h ${String(totalMinutes % 60).padStart(2, '0')} min`;
  return `${Math.floor(totalHours / 24)} d ${totalHours % 24} h`;
}

/**
 * `HH:MM` (24 h) of an instant. `timeZone` undefined means the machine's zone, which is what the
 * tray wants; tests pass 'UTC'.
 */
export function formatClock(epochMs: number, timeZone?: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone })
    .formatToParts(new Date(epochMs));
  const hour = parts.find((p) => p.type === 'hour')?.value ?? '00';
  const minute = parts.find((p) => p.type === 'minute')?.value ?? '00';
  return `${hour}:${minute}`;
}
