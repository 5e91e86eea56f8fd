/**
 * `distribute retry BATCH [--failed] [--job NAME ...]` (owner or admin): re-queue a batch's failed
 * or cancelled jobs (`--failed`: only the failed ones; `--job`: only these). A job's archived
 * result stays until its new run finishes and replaces it. The head deletes a batch's inputs when
 * it ends; when it needs them back, `--config CONFIG` (the batch's config) uploads them.
 */
import type { Command } from 'commander';
import { formatProblems, loadConfig } from '../../shared/config/load.ts';
import { configFiles } from '../../shared/config/to-spec.ts';
import { terminalSafe } from '../../shared/terminal-text.ts';
import { hashFile } from './hash-file.ts';
import type { MissingInput, RetryRequest } from '../../shared/api/head-api.ts';
import { action, CliError, connectHead, count, EXIT, must, withHeadOptions, type HeadOptions } from './client.ts';
import { uploadInputs, type LocalInput } from './upload-inputs.ts';

interface RetryOptions extends HeadOptions { failed?: boolean; job?: string[]; config?: string; json?: boolean }

/** The request body of the retry route for these options. */
export function retryBody(opts: { failed?: boolean; job?: string[] }): RetryRequest {
  return { failedOnly: opts.failed === true, ...(opts.job?.length ? { jobs: opts.job } : {}) };
}

/** Files of the config at `file` whose sha256 is among `missing`, or a CliError for those it lacks. */
async function localCopies(file: string, missing: MissingInput[]): Promise<LocalInput[]> {
  const loaded = await loadConfig(file);
  if (!loaded.ok) throw new CliError(`invalid config:\n${formatProblems(loaded.problems, file)}`, EXIT.usage);
  const bySha = new Map<string, LocalInput>();
  for (const p of configFiles(loaded.config)) {
    const h = await hashFile(p);
    bySha.set(h.sha256, { sha: h.sha256, path: p, size: h.size });
  }
  const absent = missing.filter((m) => !bySha.has(m.sha256));
  if (absent.length) throw new CliError(`${file} does not have these inputs of the batch (changed since it was added?): ${absent.map((m) => m.alias).join(', ')}`, EXIT.failed);
  return missing.map((m) => bySha.get(m.sha256)!);
}

export function register(program: Command): void {
  withHeadOptions(program
    .command('retry')
    .argument('<batch>', 'batch id, namespace/name, or name')
    .description('run a batch\'s failed or cancelled jobs again (owner or admin); archived results are replaced only when the new runs finish')
    .option('--failed', 'only failed jobs (exit code, signal, could not start), not cancelled ones')
    .option('--job <name>', 'only this job (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--config <file>', 'the batch\'s config, to upload inputs the head deleted when the batch ended')
    .option('--json', 'print JSON'))
    .action(action('retry', async (batch: string, opts: RetryOptions) => {
      const client = connectHead(opts);
      const ask = () => client.retryBatch(batch, retryBody(opts));
      let answer = await ask();
      if (!answer.ok && answer.missing && opts.config) {
        await uploadInputs(client, await localCopies(opts.config, answer.missing), { quiet: opts.json });
        answer = await ask();
      }
      const r = must(answer);
      if (opts.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
      else process.stdout.write(`re-queued ${count(r.retried.length, 'job')} of ${terminalSafe(`${r.namespace}/${r.name}`)}: ${terminalSafe(r.retried.join(', '))}\n`);
    }));
}
