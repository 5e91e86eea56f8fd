/**
 * `distribute wait BATCH`: wait until every job of a batch is done. A bar of jobs done/total on a
 * terminal, a plain line per change otherwise. The head's event stream tells it the moment the
 * batch ends (client/batch-end-watch.ts); it asks for progress every `--interval`, which is also
 * how it notices the end when the stream is not available. Exit 0 only when every job succeeded, 1 when any
 * failed or was cancelled (or the batch failed to build).
 */
import type { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import type { BatchView, JobCounts as Counts } from '../../shared/api/head-api.ts';
import { action, CliError, connectHead, EXIT, HEAD_OPTIONS, must, withOptions, type HeadOptions } from './client.ts';
import type { QuickCommand } from './quick-args.ts';
import { watchBatchEnds } from '../../client/batch-end-watch.ts';
import { parseDuration } from '../../shared/duration.ts';
import { terminalSafe } from '../../shared/terminal-text.ts';

/** Jobs that are done, whatever their outcome. */
export function doneCount(c: Counts): number {
  return c.succeeded + c.failed + c.cancelled + c.buildFailed;
}

/** One line describing a batch's progress, for logs and the final message. */
export function describeCounts(c: Counts, total: number): string {
  const parts = [`${doneCount(c)}/${total} done`, `${c.succeeded} ok`];
  const failed = c.failed + c.buildFailed;
  if (failed) parts.push(`${failed} failed`);
  if (c.cancelled) parts.push(`${c.cancelled} cancelled`);
  const running = c.running + c.assigned + c.paused;
  if (running) parts.push(`${running} running${c.paused ? ` (${c.paused} paused)` : ''}`);
  return parts.join(', ');
}

/** The exit code for an ended batch: 0 only when every job succeeded. */
export function waitExitCode(b: Pick<BatchView, 'counts' | 'total'>): number {
  return b.counts.succeeded === b.total ? EXIT.ok : EXIT.failed;
}

interface WaitOptions extends HeadOptions { json?: boolean; interval: string; timeout?: string }

const OPTIONS = [
  { flags: '--interval <seconds>', description: 'how often to ask the head for progress (seconds, decimals allowed); the end itself is told by the head at once', default: '1' },
  { flags: '--timeout <duration>', description: 'give up after this long (exit 1)' },
  { flags: '--json', description: 'print the ended batch as JSON' },
  ...HEAD_OPTIONS,
];

export function register(program: Command): void {
  withOptions(program
    .command('wait')
    .argument('<batch>', 'batch id, namespace/name or name')
    .description('wait until a batch ends; exit 0 only if every job succeeded'), OPTIONS)
    .action(run);
}

/**
 * `distribute wait BATCH` read by main.ts without commander (./quick-args.ts) when its command line
 * is simple: it starts while the batch's first jobs run, so its start-up competes with them.
 */
export const quick: QuickCommand = { options: OPTIONS, minArgs: 1, maxArgs: 1, run: (args, opts) => run(args[0], opts as unknown as WaitOptions) };

const run = action('wait', async (ref: string, opts: WaitOptions) => {
  const intervalMs = Number(opts.interval) * 1000;
  if (!Number.isFinite(intervalMs) || intervalMs < 50) throw new CliError(`--interval: '${opts.interval}' is not a number of seconds (at least 0.05)`, EXIT.usage);
  let deadline = Infinity;
  if (opts.timeout !== undefined) {
    const t = parseDuration(opts.timeout);
    if (!t.ok) throw new CliError(`--timeout: ${t.error}`, EXIT.usage);
    deadline = Date.now() + t.ms;
  }
  const client = connectHead(opts);
  const stream = process.stderr;
  let bar: SingleBar | null = null;
  let lastLine = '';
  // The head's event stream says when the batch ends, so wait returns then rather than on its
  // next poll; polling stays for progress and as the fallback when the stream is not there.
  // It is opened before the first look at the batch, so an end in between is not missed.
  const ends = watchBatchEnds(client);
  try {
    await Promise.race([ends.opened, new Promise((r) => setTimeout(r, 2000).unref())]);
    for (;;) {
      // The batch alone: its counts are all a poll shows (every job only for --json at the end).
      const b = must(await client.batchSummary(ref));
      const done = doneCount(b.counts);
      if (!opts.json) {
        if (stream.isTTY) {
          if (!bar) {
            // Loaded only for a terminal: scripts (and their start-up) never need it.
            const cliProgress = (await import('cli-progress')).default;
            bar = new cliProgress.SingleBar({ stream, format: `${b.namespace}/${b.name} [{bar}] {value}/{total} jobs | {detail}`, hideCursor: true }, cliProgress.Presets.shades_classic);
            bar.start(b.total, done, { detail: describeCounts(b.counts, b.total) });
          } else {
            bar.update(done, { detail: describeCounts(b.counts, b.total) });
          }
        } else {
          const line = `${b.namespace}/${b.name}: ${describeCounts(b.counts, b.total)}`;
          if (line !== lastLine) stream.write(line + '\n');
          lastLine = line;
        }
      }
      if (b.phase === 'ended') {
        bar?.stop();
        bar = null;
        const code = waitExitCode(b);
        if (opts.json) process.stdout.write(JSON.stringify({ ...must(await client.batch(ref)), ok: code === EXIT.ok }, null, 2) + '\n');
        else process.stdout.write(`${terminalSafe(`${b.namespace}/${b.name}`)} ${b.outcome ?? 'ended'}: ${describeCounts(b.counts, b.total)}\n`);
        return code;
      }
      if (Date.now() > deadline) throw new CliError(`batch ${ref} still running after ${opts.timeout}: ${describeCounts(b.counts, b.total)}`, EXIT.failed);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([new Promise((r) => { timer = setTimeout(r, Math.min(intervalMs, Math.max(0, deadline - Date.now()) + 10)); }), ends.ended(b.id)]);
      clearTimeout(timer);
    }
  } finally {
    ends.close();
    bar?.stop();
  }
});
