/**
 * Small verified files written by worker threads: each file to `<file>.partial`, then renamed into
 * place, exactly as the pull's main thread would, but while the main thread goes on reading,
 * checking and hashing the stream. Creating a file is the kernel's work (on this 2-core VM 0.1-0.3
 * ms of system time per 4 KB file, more when other processes keep the journal busy), and a pull of
 * 2,000 small files spent half its wall time blocked in `open`, one file at a time, with the
 * stream waiting. Files go to the threads in batches copied into one transferred buffer (a clone
 * of each socket slice would copy the whole 64 KiB chunk behind it); the threads make the same
 * synchronous calls as before (no promise round trip per call).
 */
import { Worker } from 'node:worker_threads';

/** The thread's code: plain CommonJS, evaluated (no module to find next to the compiled file). */
const WRITER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const made = new Set();
parentPort.on('message', ({ id, dirs, files, buf }) => {
  let bytes = 0;
  try {
    for (const dir of dirs ?? []) {
      if (made.has(dir)) continue;
      fs.mkdirSync(dir, { recursive: true });
      made.add(dir);
    }
    for (const f of files ?? []) {
      if (!made.has(f.dir)) {
        fs.mkdirSync(f.dir, { recursive: true });
        made.add(f.dir);
      }
      const partial = f.local + '.partial';
      fs.writeFileSync(partial, Buffer.from(buf, f.start, f.size));
      fs.renameSync(partial, f.local);
      bytes += f.size;
    }
    parentPort.postMessage({ id, bytes });
  } catch (e) {
    parentPort.postMessage({ id, bytes, error: { code: e.code, message: String(e.message) } });
  }
});
`;

/** A batch goes to a thread once it holds this many files or bytes. */
const BATCH_FILES = 16;
const BATCH_BYTES = 64 * 1024;
/** Bytes handed to the threads and not written yet, beyond which the reader waits ({@link SmallFileWriters.room}). */
const MAX_QUEUED_BYTES = 8 << 20;

interface Pending { local: string; dir: string; data: Buffer }
interface Answer { id: number; bytes: number; error?: { code?: string; message: string } }

/**
 * A few writer threads shared by a pull's streams. {@link write} queues a verified file, {@link room}
 * holds the reader back while too much is queued, {@link done} waits for every file and throws the
 * first failure (an Error with the errno `code`, like a synchronous write's), {@link close} ends the
 * threads after letting queued writes finish.
 */
export class SmallFileWriters {
  private readonly workers: { worker: Worker; busy: number }[] = [];
  private batch: Pending[] = [];
  private batchBytes = 0;
  private seq = 0;
  private readonly inFlight = new Map<number, { worker: number; bytes: number }>();
  private queuedBytes = 0;
  private failure: Error | null = null;
  private waiters: (() => void)[] = [];
  private closing = false;

  /** `onWritten` sees the bytes of every file once it is in place. */
  constructor(count: number, private readonly onWritten: (bytes: number) => void) {
    for (let i = 0; i < count; i++) {
      const worker = new Worker(WRITER_SOURCE, { eval: true, execArgv: [], stdout: false, stderr: false });
      worker.on('message', (a: Answer) => this.answered(a));
      const index = this.workers.length;
      worker.on('error', (err) => this.gone(index, err));
      worker.on('exit', (code) => this.gone(index, new Error(`a file writer thread exited (${code}) with writes pending`)));
      this.workers.push({ worker, busy: 0 });
    }
  }

  /** Queue `data` for `local` (its folder `dir` is made when missing). Throws a failure seen so far. */
  write(dir: string, local: string, data: Buffer): void {
    if (this.failure) throw this.failure;
    this.batch.push({ local, dir, data });
    this.batchBytes += data.length;
    if (this.batch.length >= BATCH_FILES || this.batchBytes >= BATCH_BYTES) this.flush();
  }

  /**
   * Make these folders now, before their files arrive: a pull asks for them while it waits for the
   * head's first bytes, so the folders' inodes are not created on the way of the files'.
   */
  makeDirs(dirs: Iterable<string>): void {
    const list = [...new Set(dirs)];
    if (!list.length || this.failure) return;
    this.post({ id: 0, dirs: list }, 0);
  }

  /** Null when the reader may go on, else a promise of when it may; throws a failure seen so far. */
  room(): Promise<void> | null {
    if (this.failure) throw this.failure;
    if (this.queuedBytes <= MAX_QUEUED_BYTES) return null;
    return new Promise<void>((resolve) => this.waiters.push(resolve)).then(() => {
      if (this.failure) throw this.failure;
    });
  }

  /** Hand the files queued so far to the least busy thread. */
  flush(): void {
    if (!this.batch.length || this.failure) return;
    // One fresh buffer per batch (not from Node's pool), transferred, not copied, to the thread.
    const buf = Buffer.allocUnsafeSlow(this.batchBytes);
    let at = 0;
    const files = this.batch.map((p) => {
      p.data.copy(buf, at);
      const f = { dir: p.dir, local: p.local, start: at, size: p.data.length };
      at += p.data.length;
      return f;
    });
    const bytes = this.batchBytes;
    this.batch = [];
    this.batchBytes = 0;
    this.post({ id: 0, files, buf: buf.buffer }, bytes, [buf.buffer]);
  }

  /** Send one message to the least busy thread and count it in flight until it answers. */
  private post(message: { id: number; dirs?: string[]; files?: object[]; buf?: ArrayBuffer }, bytes: number, transfer: ArrayBuffer[] = []): void {
    let w = 0;
    for (let i = 1; i < this.workers.length; i++) if (this.workers[i].busy < this.workers[w].busy) w = i;
    message.id = ++this.seq;
    this.inFlight.set(message.id, { worker: w, bytes });
    this.workers[w].busy++;
    this.queuedBytes += bytes;
    this.workers[w].worker.postMessage(message, transfer);
  }

  /** Every queued file written; throws the first failure. */
  async done(): Promise<void> {
    this.flush();
    while (this.inFlight.size && !this.failure) await new Promise<void>((resolve) => this.waiters.push(resolve));
    if (this.failure) throw this.failure;
  }

  /**
   * Let the writes already handed over finish (failed or not: no thread is stopped inside a file),
   * then end the threads. Resolves without waiting for them to be torn down (8-12 ms at the end of
   * every pull); they hold nothing by then and no longer keep the process alive.
   */
  async close(): Promise<void> {
    this.batch = [];
    this.closing = true;
    while (this.inFlight.size) await new Promise<void>((resolve) => this.waiters.push(resolve));
    for (const w of this.workers) {
      w.worker.unref();
      w.worker.terminate().catch(() => undefined);
    }
  }

  private answered(a: Answer): void {
    const sent = this.inFlight.get(a.id);
    if (!sent) return;
    this.inFlight.delete(a.id);
    this.workers[sent.worker].busy--;
    this.queuedBytes -= sent.bytes;
    if (a.bytes) this.onWritten(a.bytes);
    if (a.error) this.fail(Object.assign(new Error(a.error.message), { code: a.error.code }));
    else this.wake();
  }

  /** A thread ended: what it held will never be answered. */
  private gone(index: number, err: Error): void {
    let held = false;
    for (const [id, sent] of this.inFlight) {
      if (sent.worker !== index) continue;
      this.inFlight.delete(id);
      this.queuedBytes -= sent.bytes;
      held = true;
    }
    // A thread that ends before close() is a failure even when idle: the next batch would wait for it forever.
    if (held || !this.closing) this.fail(err);
    else this.wake();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const resolve of w) resolve();
  }
}
