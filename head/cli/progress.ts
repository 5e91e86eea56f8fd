/**
 * Progress for long transfers: a cli-progress bar (bytes, rate, ETA) on a terminal, a few plain
 * lines on stderr otherwise, nothing with `quiet`.
 */
import { createRequire } from 'node:module';
import { Transform, type Readable } from 'node:stream';
import type cliProgressModule from 'cli-progress';
import { formatSize } from '../../shared/format.ts';

/** cli-progress, loaded only for a bar on a terminal (≈ 8 ms that `pull --json` or a pipe never needs). */
const loadCliProgress = () => createRequire(import.meta.url)('cli-progress') as typeof cliProgressModule;

export class Progress {
  private bar: cliProgressModule.SingleBar | null = null;
  private done = 0;
  private lastLine = Date.now();
  private readonly started = Date.now();

  constructor(private readonly label: string, private readonly total: number, private readonly opts: { quiet?: boolean; stream?: NodeJS.WriteStream } = {}) {
    const stream = opts.stream ?? process.stderr;
    if (opts.quiet || total === 0) return;
    if (stream.isTTY) {
      const cliProgress = loadCliProgress();
      this.bar = new cliProgress.SingleBar({
        stream, format: `${label} [{bar}] {percentage}% | {done}/{all} | {rate}/s | ETA {eta_formatted}`, hideCursor: true, clearOnComplete: false,
      }, cliProgress.Presets.shades_classic);
      this.bar.start(total, 0, { done: formatSize(0), all: formatSize(total), rate: formatSize(0) });
    }
  }

  add(n: number): void {
    this.done += n;
    const secs = Math.max(0.001, (Date.now() - this.started) / 1000);
    if (this.bar) this.bar.update(this.done, { done: formatSize(this.done), all: formatSize(this.total), rate: formatSize(this.done / secs) });
    else if (!this.opts.quiet && this.total > 0 && Date.now() - this.lastLine > 2000) {
      this.lastLine = Date.now();
      (this.opts.stream ?? process.stderr).write(`${this.label}: ${formatSize(this.done)} of ${formatSize(this.total)} (${Math.round((100 * this.done) / this.total)}%)\n`);
    }
  }

  /** Count bytes flowing through `source`. */
  track(source: Readable): Readable {
    const t = new Transform({ transform: (c: Buffer, _e, cb) => { this.add(c.length); cb(null, c); } });
    source.on('error', (e) => t.destroy(e));
    return source.pipe(t);
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
