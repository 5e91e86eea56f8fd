/** Test helpers for config tests: temp folders holding a config's files. */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Joins lines with '\n' so a test can read line numbers off the array (index + 1). */
export function yaml(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

/** The usual meta section, lines 1-4. */
export const META = ['meta:', '  batch_name: b', '  namespace: ns', '  capabilities: [python3]'];

/** Creates a temp folder with `files` (relative paths, content = their name) and returns its path. */
export function tempDirWith(files: readonly string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'distribute-config-'));
  for (const f of files) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    writeFileSync(join(dir, f), `content of ${f}\n`);
  }
  return dir;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
