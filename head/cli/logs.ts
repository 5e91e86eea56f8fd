/**
 * `distribute logs BATCH JOB`: a finished job's stdout/stderr from the archive, or a running or
 * paused job's output so far, from its first line (the head keeps it). With `--follow` the output
 * so far and then the new output as it comes, streamed from its agent through the head, until the
 * job ends; `--tail N` starts N lines back.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import type { LogsQuery } from '../../shared/api/head-api.ts';
import { action, CliError, connectHead, EXIT, must, withHeadOptions, type HeadOptions } from './client.ts';

interface LogsOptions extends HeadOptions { follow?: boolean; stream?: string; tail?: string }

/** The logs query for these options, or an error for a bad --stream or --tail. */
export function logsQuery(opts: { follow?: boolean; stream?: string; tail?: string }): { ok: true; query: LogsQuery } | { ok: false; error: string } {
  const { stream, tail } = opts;
  if (tail !== undefined && !/^\d+$/.test(tail)) return { ok: false, error: `--tail must be a whole number of lines, not '${tail}'` };
  if (stream !== undefined && stream !== 'stdout' && stream !== 'stderr') return { ok: false, error: `--stream must be stdout or stderr, not '${stream}'` };
  return { ok: true, query: { stream, follow: opts.follow === true, tail: tail === undefined ? undefined : Number(tail) } };
}

export function register(program: Command): void {
  withHeadOptions(program
    .command('logs')
    .argument('<batch>', 'batch id, namespace/name or name')
    .argument('<job>', 'job name')
    .description('show a job\'s output from its first line: archived when it ended, so far while it runs; --follow streams on until it ends')
    .option('-f, --follow', 'print the output so far, then stream new output until the job ends')
    .option('-n, --tail <lines>', 'start this many lines back instead of at the first line')
    .option('--stream <which>', 'only stdout or only stderr'))
    .action(action('logs', async (batch: string, job: string, opts: LogsOptions) => {
      const q = logsQuery(opts);
      if (!q.ok) throw new CliError(q.error, EXIT.usage);
      const res = must(await connectHead(opts).jobLogs(batch, job, q.query));
      if (!res.body) return EXIT.ok;
      const state = res.headers.get('x-job-state');
      if (!opts.follow && state && state !== 'done') process.stderr.write(`(job ${job} is ${state}: this is its output so far; --follow streams the rest)\n`);
      // Stop quietly when the reader of our output goes away (`logs ... | head`).
      process.stdout.on('error', () => process.exit(EXIT.ok));
      try {
        await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), process.stdout, { end: false });
      } catch (err) {
        throw new CliError(`the log stream broke off: ${(err as Error).message}`, EXIT.unreachable);
      }
      return EXIT.ok;
    }));
}
