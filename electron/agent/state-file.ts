/**
 * A small JSON document saved many times a second, cheaply and safely: each save appends one line
 * (the whole document) to a log beside the file (`agent-state.jsonl` for `agent-state.json`) through
 * a descriptor kept open, and every {@link LOG_LIMIT} bytes the log is folded into the file
 * (written to a temporary file, renamed over it) and emptied.
 *
 * Why: replacing the file on every save (open, write, close, rename) cost the agent two of those
 * per trivial job, and ext4 starts writing a file renamed over another at once (its replace-by-
 * rename heuristic), from the agent's own CPU. An append is one write into the page cache.
 *
 * What is on disk is the same as before at every moment: the last complete line of the log is the
 * document when the log has one, else the file. A line is complete once its newline is written (a
 * save cut short by a crash or a full disk leaves an incomplete last line, which reading skips and
 * the next save cuts off before appending). Folding appends the document to the log before
 * replacing the file, so a crash between the rename and the truncation still reads the newest
 * document. Nothing is synced to disk (the file never was): a power loss may cost the last saves,
 * as it could before.
 */
import { closeSync, ftruncateSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';

/** Bytes the log may grow to before it is folded into the file (a hundred saves of a busy agent). */
export const LOG_LIMIT = 256 * 1024;

/** The log beside `file`: `x.json` keeps its saves in `x.jsonl`. */
export function logPathOf(file: string): string {
  return file.endsWith('.json') ? `${file}l` : `${file}.jsonl`;
}

/**
 * The document saved in `file` and its log, as a reader that is not the writer sees it (the
 * agent's own start, tests, tools): the last complete line of the log that parses, else the
 * file's, else null (neither exists or neither parses).
 */
export function readStateFile(file: string): unknown {
  const fromLog = lastLine(readOrNull(logPathOf(file)));
  if (fromLog !== undefined) return fromLog;
  const text = readOrNull(file);
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/** The last line of `text` that is complete (ends with a newline) and parses; undefined if none. */
function lastLine(text: string | null): unknown {
  if (!text) return undefined;
  let end = text.lastIndexOf('\n');
  while (end > 0) {
    const start = text.lastIndexOf('\n', end - 1) + 1;
    try {
      return JSON.parse(text.slice(start, end)) as unknown;
    } catch {
      end = start - 1;
    }
  }
  return undefined;
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** Writes one document as described above. Errors are thrown to the caller, which logs them. */
export class StateFile {
  readonly log: string;
  private fd: number | null = null;
  /** Bytes of complete lines in the log (where an interrupted append is cut back to). */
  private logBytes = 0;
  /** The log may end in an incomplete line (an append failed): cut it off before the next. */
  private dirty = true;

  constructor(readonly file: string, private readonly limit = LOG_LIMIT) {
    this.log = logPathOf(file);
  }

  /** Saves `json` (one document, no newline in it: JSON.stringify never writes one). */
  write(json: string): void {
    const line = Buffer.from(`${json}\n`);
    if (this.logBytes + line.length > this.limit) this.fold(json, line);
    else this.append(line);
  }

  /**
   * Folds the log into the file: `json` becomes the file and the log is emptied. The agent does
   * it at start and at a clean stop, so an older version started on this folder reads the file.
   */
  fold(json: string, line = Buffer.from(`${json}\n`)): void {
    // Into the log first: a crash before the truncation below still reads this document there.
    this.append(line);
    writeFileSync(`${this.file}.tmp`, json);
    renameSync(`${this.file}.tmp`, this.file);
    ftruncateSync(this.fd!, 0);
    this.logBytes = 0;
  }

  /** Whether the log holds saves not folded into the file yet. */
  get unfolded(): boolean {
    return this.logBytes > 0;
  }

  /** Closes the log's descriptor (the next write opens it again). */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    this.dirty = true;
  }

  private append(bytes: Buffer): void {
    if (this.fd === null) {
      this.fd = openSync(this.log, 'a');
      this.dirty = true;
    }
    if (this.dirty) {
      // Opened on an existing log, or after a failed append: keep only its complete lines. (The
      // agent folds at start, so this is a truncation to zero then.)
      this.logBytes = completeBytes(readOrNull(this.log) ?? '');
      ftruncateSync(this.fd, this.logBytes);
      this.dirty = false;
    }
    try {
      // O_APPEND: each write lands at the end; a short write (a full disk) goes on until done or thrown.
      for (let off = 0; off < bytes.length;) off += writeSync(this.fd, bytes, off);
    } catch (err) {
      this.dirty = true;
      throw err;
    }
    this.logBytes += bytes.length;
  }
}

/** Bytes of `text` up to and including its last newline. */
function completeBytes(text: string): number {
  return Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1));
}
