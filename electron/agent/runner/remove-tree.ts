/**
 * Removing a folder and what it holds, cheaply in the usual case. Every job empties its `input/`
 * folder and removes its run folder (two logs, an exit code, an empty `distribute_save/`): a
 * handful of entries, for which synchronous calls cost a tenth of the CPU of `fs.rm` through the
 * thread pool (measured: ~0.1 ms saved per job per folder). A folder with more entries than a
 * small budget (a job that saved thousands of files) goes to `fs.rm` as before, so the agent's
 * event loop never stalls on a big tree.
 */
import { lstatSync, mkdirSync, readdirSync, rmdirSync, unlinkSync, type Dirent } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

/** Entries removed synchronously at most; a larger tree is removed by `fs.rm`. */
const SYNC_ENTRIES = 64;

/**
 * Removes `dir` and everything in it (nothing to do when it does not exist). Throws what `fs.rm`
 * throws when the tree cannot be removed. `holdsFiles`: `dir` is known to hold entries (a run
 * folder's logs), so it is listed at once instead of first tried as an empty folder (a failed
 * rmdir costs a syscall and a JavaScript error with its stack trace).
 */
export async function removeTree(dir: string, opts: { holdsFiles?: boolean } = {}): Promise<void> {
  if (removeSmallTree(dir, { left: SYNC_ENTRIES }, opts.holdsFiles !== true)) return;
  await fs.rm(dir, { recursive: true, force: true });
}

/**
 * Makes `dir` an empty folder. One that is empty already (a job's `input/` when the job had no
 * inputs) is kept as it is: listing it costs no inode, where removing and creating it again frees
 * one and allocates one (on ext4 without a journal, allocation skips every inode freed in the
 * last 30 s, so churn makes each new file dearer). Kept only when it is a real folder (not a
 * link) its owner may write; anything else is replaced.
 */
export async function emptyDir(dir: string): Promise<void> {
  if (seenEmpty === dir) {
    seenEmpty = null;
    return;
  }
  if (isEmptyFolder(dir)) return;
  await removeTree(dir);
  mkdirSync(dir, { recursive: true });
}

/** The folder last found empty with `remember`, until the end of this turn of the event loop. */
let seenEmpty: string | null = null;
let forgetting = false;

/**
 * `dir` is a real folder (not a link) its owner may write, with nothing in it: what
 * {@link emptyDir} keeps as it is. With `remember`, a folder found empty is taken as such by the
 * next emptyDir of it in this turn of the event loop, without listing it again: keepResults finds
 * the working folder's `distribute_save/` empty when a job ends, and the job in hand's prepareJob
 * resets that folder in the same turn (a listing costs the agent ~30 µs of CPU). Only for a
 * folder the agent itself does not write into meanwhile; a process the ended job left behind
 * could write there between the two, as it could right after either check.
 */
export function isEmptyFolder(dir: string, remember = false): boolean {
  let empty = false;
  try {
    const st = lstatSync(dir);
    empty = st.isDirectory() && (st.mode & 0o700) === 0o700 && readdirSync(dir).length === 0;
  } catch {
    // missing (or unreadable): not an empty folder
  }
  if (remember && empty) {
    seenEmpty = dir;
    if (!forgetting) {
      forgetting = true;
      setImmediate(() => {
        seenEmpty = null;
        forgetting = false;
      });
    }
  }
  return empty;
}

/**
 * Removes `dir` synchronously when it holds at most `budget.left` entries (all levels); returns
 * false, having removed only part of it or nothing, when it holds more or a call fails (the
 * caller then leaves the rest to `fs.rm`, which reports a real problem).
 */
function removeSmallTree(dir: string, budget: { left: number }, tryEmpty = true): boolean {
  if (tryEmpty) {
    try {
      // An empty folder (the usual input/) in one call.
      rmdirSync(dir);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return true;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') return false;
    }
  }
  const emptied = emptySmallTree(dir, budget);
  if (emptied !== 'emptied') return emptied === 'missing';
  try {
    rmdirSync(dir);
    return true;
  } catch {
    return false;
  }
}

/**
 * Empties the folder `dir` synchronously, keeping the folder itself, when it holds at most
 * `budget` entries (all levels). 'emptied': it exists and is empty now; 'missing': there is no
 * such folder; 'failed': it holds more, or a call failed (part of it may be removed).
 */
export function emptySmallTree(dir: string, budget: { left: number } = { left: SYNC_ENTRIES }): 'emptied' | 'missing' | 'failed' {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    // Gone already: nothing to remove (else fs.rm reports the problem).
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'failed';
  }
  budget.left -= entries.length;
  if (budget.left < 0) return 'failed';
  try {
    for (const e of entries) {
      const entry = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!removeSmallTree(entry, budget)) return 'failed';
      } else {
        unlinkSync(entry);
      }
    }
    return 'emptied';
  } catch {
    return 'failed';
  }
}
