/** Byte counts as status lines print them (`1.5 GiB`); parsing them is head/cli/byte-size.ts. */

/** `1.5 GiB`: bytes in the largest binary unit that keeps the number at least 1. */
export function formatSize(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}
