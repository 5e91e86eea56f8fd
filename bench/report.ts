/**
 * What every benchmark returns and how it is printed: a titled table (first row = header), plus
 * notes (which python, machine, caveats). `run.ts` prints them; docs/benchmarks.md holds a copy.
 */
import os from 'node:os';

export interface BenchOptions {
  /** Smaller N so the whole suite finishes in under a minute. */
  quick: boolean;
  log: (line: string) => void;
}

export interface BenchResult {
  title: string;
  /** Rows of cells; the first row is the header. */
  table: string[][];
  notes: string[];
}

export interface Bench {
  name: string;
  run(opts: BenchOptions): Promise<BenchResult>;
}

/** Render rows as a GitHub-flavoured markdown table (readable in a terminal too). */
export function markdownTable(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(3, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((cell, c) => (cell ?? '').padEnd(widths[c])).join(' | ')} |`;
  return [line(rows[0]), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.slice(1).map(line)].join('\n');
}

export function formatResult(r: BenchResult): string {
  return [`## ${r.title}`, '', markdownTable(r.table), '', ...r.notes.map((n) => `- ${n}`), ''].join('\n');
}

/** One line describing the machine, for the report header. */
export function machineLine(): string {
  const cpus = os.cpus();
  const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  return `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB RAM, Node ${process.version}, ${os.type()} ${os.release()}, load average at start ${load}`;
}

export const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
export const fixed = (n: number, digits = 1) => n.toFixed(digits);

/** Milliseconds since `start` (from performance.now()). */
export const since = (start: number) => performance.now() - start;
