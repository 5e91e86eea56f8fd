/**
 * A small seeded random source for the fuzz sets (mulberry32): the same seed gives the same cases
 * on every machine, so a failure names its seed and case number and can be replayed.
 */
import { Rng as SeededRng } from '../../chaos/rng.ts';

/** The chaos run's random source with the fuzz sets' two helpers (same sequence from a seed). */
export class Rng {
  private readonly source: SeededRng;

  constructor(seed: number) {
    this.source = new SeededRng(seed);
  }

  /** A float in [0, 1). */
  next(): number {
    return this.source.next();
  }

  /** A whole number in [0, max). */
  int(max: number): number {
    return this.source.int(0, max - 1);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
}

/** Strings no name, label or argument may hold, each with why (shared/names.ts, shared/batch/spec.ts). */
export const HOSTILE_STRINGS: readonly string[] = [
  'a\u0000b', 'line\nbreak', '\u001b[31mred\u001b[0m', '\u001b]0;title\u0007', 'cr\rlf', 'tab\there',
  'c1\u009bcsi', 'nel\u0085x', 'bidi\u202eevil', 'iso\u2066late\u2069', '   ', '\u00a0\u3000', '\u200b\ufeff',
  '', 'x'.repeat(201), 'del\u007f',
  // Folder names only (a label such as a tag may hold these):
  '..', '.', 'a/b', '../../etc', 'back\\slash', '/abs',
];

/** How many of {@link HOSTILE_STRINGS} (the first ones) no label may hold either. */
export const HOSTILE_LABELS = HOSTILE_STRINGS.length - 6;
