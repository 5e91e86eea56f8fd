/**
 * What the head knows about a batch when it ends, and the chat message made from it.
 *
 * The message is built here, as pure text, so the Matrix transport (matrix-client.ts) and the
 * queue (matrix-notifier.ts) stay ignorant of batches, and tests can check wording without a
 * server.
 */
import { formatDuration } from '../../shared/format.ts';
import type { BatchEnd } from '../../shared/batch/batch-end.ts';

/**
 * A batch's end (the one shape, shared/batch/batch-end.ts) as a notifier gets it: with the head's
 * base URL for the dashboard link, e.g. `http://lab-head:8080`.
 */
export type BatchSummary = BatchEnd & { headUrl: string };

/** A chat message: plain `body` always, HTML `formatted` for clients that render it. */
export interface FormattedMessage {
  body: string;
  formatted?: string;
}

/** Lines and characters of the build log kept in a message: enough to see the error, small enough for a chat. */
export const BUILD_LOG_TAIL_LINES = 20;
export const BUILD_LOG_TAIL_CHARS = 2000;

/** The last lines of a build log, cut to {@link BUILD_LOG_TAIL_LINES} lines and {@link BUILD_LOG_TAIL_CHARS} characters. */
export function buildLogTail(log: string): string {
  const lines = log.replace(/\s+$/, '').split(/\r?\n/);
  let tail = lines.slice(-BUILD_LOG_TAIL_LINES).join('\n');
  if (tail.length > BUILD_LOG_TAIL_CHARS) tail = '…' + tail.slice(tail.length - BUILD_LOG_TAIL_CHARS + 1);
  return tail;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** The pull command that fetches this batch's results from anywhere the CLI is configured. */
export function pullCommand(summary: Pick<BatchSummary, 'namespace' | 'batch'>): string {
  return `distribute pull --batch ${summary.namespace}/${summary.batch}`;
}

/**
 * The notification for a batch that ended: outcome, counts, run time and how to get the results
 * (or, for a build failure, the tail of the build log).
 */
export function formatBatchMessage(summary: BatchSummary): FormattedMessage {
  const name = `${summary.namespace}/${summary.batch}`;
  const took = formatDuration(summary.runMs, { units: 2 });
  const counts = `${summary.succeeded} succeeded, ${summary.failed} failed` +
    (summary.cancelled > 0 ? `, ${summary.cancelled} cancelled` : '') +
    ` (${plural(summary.total, 'job')})`;
  const pull = pullCommand(summary);
  const pullAlt = 'distribute pull <your config file>';

  const text: string[] = [];
  const html: string[] = [];
  const code = (s: string) => `<code>${escapeHtml(s)}</code>`;

  if (summary.outcome === 'build-failed') {
    text.push(`Batch ${name} failed: the build step failed on every node, so no job ran (after ${took}).`);
    html.push(`<p>Batch ${code(name)} <strong>failed</strong>: the build step failed on every node, so no job ran (after ${escapeHtml(took)}).</p>`);
    const tail = summary.buildLog && summary.buildLog.trim() !== '' ? buildLogTail(summary.buildLog) : undefined;
    if (tail !== undefined) {
      text.push('Last lines of the build log:', tail);
      html.push('<p>Last lines of the build log:</p>', `<pre><code>${escapeHtml(tail)}</code></pre>`);
    } else {
      text.push('No build log was recorded.');
      html.push('<p>No build log was recorded.</p>');
    }
  } else {
    const verb = summary.outcome === 'cancelled' ? 'was cancelled' : 'finished';
    const verbHtml = summary.outcome === 'cancelled' ? 'was <strong>cancelled</strong>' : '<strong>finished</strong>';
    text.push(`Batch ${name} ${verb}: ${counts} in ${took}.`);
    html.push(`<p>Batch ${code(name)} ${verbHtml}: ${escapeHtml(counts)} in ${escapeHtml(took)}.</p>`);
    if (summary.succeeded + summary.failed > 0) {
      text.push(`Pull the results: ${pull}  (or: ${pullAlt})`);
      html.push(`<p>Pull the results: ${code(pull)} (or: ${code(pullAlt)})</p>`);
    }
  }
  text.push(`Head: ${summary.headUrl}`);
  html.push(`<p>Head: <a href="${escapeHtml(summary.headUrl)}">${escapeHtml(summary.headUrl)}</a></p>`);
  return { body: text.join('\n'), formatted: html.join('\n') };
}
