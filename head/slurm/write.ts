/**
 * Writes a transpiled SLURM folder to disk: the only part of head/slurm/ that touches files.
 */
import { chmod, copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { OutFile } from './transpile.ts';

export type WriteResult =
  | { ok: true; dir: string; written: number }
  | { ok: false; reason: 'not-empty' | 'io'; message: string };

/**
 * Writes `files` under `outDir` (created when missing). A folder that already holds something is
 * refused unless `force`: then files are written over, and files the plan does not name (earlier
 * results in jobs/<job>/distribute_save/, say) are left alone.
 */
export async function writeSlurmFolder(outDir: string, files: OutFile[], opts: { force?: boolean } = {}): Promise<WriteResult> {
  const dir = resolve(outDir);
  try {
    const existing = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [];
      throw err;
    });
    if (existing.length > 0 && !opts.force) {
      return { ok: false, reason: 'not-empty', message: `${dir} is not empty (use --force to write into it anyway)` };
    }
    for (const file of files) {
      const target = join(dir, file.path);
      await mkdir(dirname(target), { recursive: true });
      if ('content' in file) await writeFile(target, file.content);
      else await copyFile(file.copyFrom, target);
      // chmod after writing: writeFile's mode applies only to new files, and copyFile keeps the source's.
      await chmod(target, file.mode);
    }
    return { ok: true, dir, written: files.length };
  } catch (err) {
    return { ok: false, reason: 'io', message: (err as Error).message };
  }
}
