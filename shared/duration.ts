/**
 * Durations as people type them (`--duration 1h30m`, the tray's "Pause 30 min") and as we print
 * them back.
 *
 * Accepted input, case-insensitive, surrounding whitespace ignored:
 * - one or more `<integer><unit>` parts with units `h`, `m`, `s`, each unit at most once and in
 *   that order, optionally separated by spaces: `45s`, `90m`, `2h`, `1h30m`, `1h 30m 15s`;
 * - a plain integer, read as **seconds** (`300` = 5 minutes), the unit `sleep(1)` and `timeout(1)`
 *   use, so a number without a unit never silently means hours.
 * The result must be positive: `0s` is refused because a zero-length pause or timeout is always a
 * mistake. Fractions (`1.5h`) are refused rather than rounded; write `1h30m`.
 *
 * shared/format.ts `formatDuration` prints the same grammar with spaces (`1h 30m`), so its output parses back.
 */

export type ParsedDuration = { ok: true; ms: number } | { ok: false; error: string };

const UNIT_MS = { h: 3_600_000, m: 60_000, s: 1_000 } as const;
const UNIT_ORDER = ['h', 'm', 's'] as const;
type Unit = (typeof UNIT_ORDER)[number];

const EXAMPLES = 'write it like 45s, 90m, 1h30m or 300 (seconds)';

/** Parses a duration; never throws. The error says what is wrong and shows valid examples. */
export function parseDuration(text: string): ParsedDuration {
  const input = text.trim().toLowerCase();
  if (input === '') return { ok: false, error: `empty duration: ${EXAMPLES}` };

  if (/^\d+$/.test(input)) return positive(Number(input) * UNIT_MS.s, text);

  const part = /(\d+)\s*([a-z]+)\s*/y;
  let pos = 0;
  let total = 0;
  let lastUnit = -1;
  while (pos < input.length) {
    part.lastIndex = pos;
    const m = part.exec(input);
    if (!m) return { ok: false, error: `cannot read '${text.trim()}' at '${input.slice(pos)}': ${EXAMPLES}` };
    const [, digits, unitText] = m;
    if (!isUnit(unitText)) {
      return { ok: false, error: `unknown unit '${unitText}' in '${text.trim()}': use h, m or s (${EXAMPLES})` };
    }
    const index = UNIT_ORDER.indexOf(unitText);
    if (index <= lastUnit) {
      return { ok: false, error: `'${text.trim()}': each unit at most once, in the order h, m, s` };
    }
    lastUnit = index;
    total += Number(digits) * UNIT_MS[unitText];
    pos = part.lastIndex;
  }
  return positive(total, text);
}

function isUnit(s: string): s is Unit {
  return (UNIT_ORDER as readonly string[]).includes(s);
}

function positive(ms: number, text: string): ParsedDuration {
  if (!Number.isSafeInteger(ms)) return { ok: false, error: `duration '${text.trim()}' is too large` };
  if (ms <= 0) return { ok: false, error: `duration '${text.trim()}' must be longer than zero` };
  return { ok: true, ms };
}
