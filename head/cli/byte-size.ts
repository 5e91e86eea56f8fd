/**
 * Byte counts given on the command line: a whole number of bytes, or one with a binary unit
 * suffix (`512K`, `20G`, `1.5T`; KiB/MiB/GiB/TiB spellings too). Anything else is a usage error,
 * never "no limit".
 */
const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** The number of bytes `text` names, or why it names none. */
export function parseByteSize(text: string): { ok: true; bytes: number } | { ok: false; error: string } {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([bkmgt]?)(?:i?b)?\s*$/i.exec(text);
  if (!m) return { ok: false, error: `'${text}' is not a size (write bytes, or a number with K, M, G or T, e.g. 20G)` };
  const bytes = Math.floor(Number(m[1]) * UNITS[m[2].toLowerCase()]);
  if (!Number.isSafeInteger(bytes) || bytes < 1) return { ok: false, error: `'${text}' is not a size of at least one byte` };
  return { ok: true, bytes };
}
