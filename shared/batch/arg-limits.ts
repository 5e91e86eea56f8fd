/**
 * What a string handed to a process as a command or argument may hold. Plain functions, without
 * zod (./spec.ts builds its schemas on them): config validation in `distribute add` uses them
 * without loading zod.
 */

/**
 * Longest command, argument or other string of a batch, in UTF-8 bytes: 128 KiB, which is also
 * Linux's limit for one command-line argument (MAX_ARG_STRLEN). A longer shell command could
 * never be started (E2BIG).
 */
export const MAX_ARG_BYTES = 128 * 1024;

/**
 * Why `value` cannot be handed to a process as a command or argument, or null: it holds a NUL
 * byte (which no argument can carry) or is longer than {@link MAX_ARG_BYTES}.
 */
export function unsafeArgReason(value: string): string | null {
  const nul = value.indexOf('\u0000');
  if (nul >= 0) return `must not contain a NUL byte (found at character ${nul + 1})`;
  // A UTF-16 code unit is at most 3 UTF-8 bytes: most strings need no encoding to be measured.
  if (value.length * 3 <= MAX_ARG_BYTES) return null;
  const bytes = new TextEncoder().encode(value).length;
  if (bytes > MAX_ARG_BYTES) return `is ${bytes} bytes long; at most ${MAX_ARG_BYTES} bytes (128 KiB) are allowed`;
  return null;
}
