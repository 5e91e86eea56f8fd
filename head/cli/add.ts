/**
 * `distribute add CONFIG`: validate the config, hash its files, register the batch, upload the
 * inputs the head does not have yet (streamed, with progress), then submit. `--dry-run` stops
 * after local validation and needs no head.
 */
import type { Command } from 'commander';
import { formatProblems, loadConfig } from '../../shared/config/load.ts';
import { configFiles, configToSpec } from '../../shared/config/to-spec.ts';
import type { NodeFit } from '../../shared/api/head-api.ts';
import { terminalSafe } from '../../shared/terminal-text.ts';
import { formatSize } from '../../shared/format.ts';
import { action, CliError, connectHead, count, EXIT, exitCodeOf, HEAD_OPTIONS, must, withOptions, type HeadOptions } from './client.ts';
import type { QuickCommand } from './quick-args.ts';

interface AddOptions extends HeadOptions { dryRun?: boolean; replace?: boolean; json?: boolean }

const OPTIONS = [
  { flags: '--dry-run', description: 'only validate the config and its files locally (no head needed)' },
  { flags: '--replace', description: 'replace an existing batch of the same name (deletes its archived results)' },
  { flags: '--json', description: 'print the result as JSON' },
  ...HEAD_OPTIONS,
];

export function register(program: Command): void {
  withOptions(program
    .command('add')
    .argument('<config>', 'batch config (YAML)')
    .description('submit a batch: upload its config and files to the head'), OPTIONS)
    .action(run);
}

/**
 * `distribute add CONFIG` read by main.ts without commander (./quick-args.ts) when its command line
 * is simple: scripts and benchmarks add a batch and then wait for it, start-up included.
 */
export const quick: QuickCommand = { options: OPTIONS, minArgs: 1, maxArgs: 1, run: (args, opts) => run(args[0], opts) };

const run = action('add', async (file: string, opts: AddOptions) => {
  const loaded = await loadConfig(file);
  if (!loaded.ok) throw new CliError(`invalid config:\n${formatProblems(loaded.problems, file)}`, EXIT.usage);
  const config = loaded.config;
  const paths = configFiles(config);
  const hashes = new Map<string, { sha256: string; size: number }>();
  // Hashing and uploading (node:crypto, streams, the progress bar) load only for a config with files.
  const hashFile = paths.length ? (await import('./hash-file.ts')).hashFile : null;
  for (const p of paths) hashes.set(p, await hashFile!(p));
  const spec = configToSpec(config, hashes);
  const total = [...hashes.values()].reduce((a, h) => a + h.size, 0);
  if (opts.dryRun) {
    const summary = { ok: true, namespace: spec.namespace, batch: spec.name, kind: spec.kind, jobs: spec.jobs.length, files: paths.length, bytes: total };
    if (opts.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    else process.stdout.write(`config ok: batch '${spec.name}' in namespace '${spec.namespace}', ${spec.kind}, ${count(spec.jobs.length, 'job')}, ${count(paths.length, 'file')} (${formatSize(total)})\n`);
    return EXIT.ok;
  }
  const client = connectHead(opts);
  const answer = await client.createBatch(spec, { replace: opts.replace === true });
  if (!answer.ok && answer.nodes) throw new CliError(`${answer.error.message}\n${describeFit(answer.nodes)}`, exitCodeOf(answer.error));
  const created = must(answer);
  const bySha = new Map([...hashes.entries()].map(([p, h]) => [h.sha256, { path: p, size: h.size }]));
  const toSend = created.missing.map((sha) => ({ sha, ...bySha.get(sha)! }));
  const sendBytes = toSend.length ? await (await import('./upload-inputs.ts')).uploadInputs(client, toSend, { quiet: opts.json }) : 0;
  const batch = must(await client.submitBatch(created.id));
  const able = created.nodes.filter((n) => n.ok);
  if (opts.json) {
    process.stdout.write(JSON.stringify({ id: batch.id, namespace: spec.namespace, batch: spec.name, jobs: spec.jobs.length, uploadedBytes: sendBytes, replaced: created.replaced, nodes: created.nodes }, null, 2) + '\n');
  } else {
    process.stdout.write(`added batch '${terminalSafe(`${spec.namespace}/${spec.name}`)}' (id ${terminalSafe(batch.id)}): ${count(spec.jobs.length, 'job')}, uploaded ${count(toSend.length, 'file')} (${formatSize(sendBytes)})\n`);
    if (created.replaced) process.stdout.write(`replaced the earlier batch ${terminalSafe(created.replaced)} and its archived results\n`);
    process.stdout.write(`${able.length} of ${created.nodes.length} known nodes can run it (${able.filter((n) => n.connected).length} connected)\n`);
    const unable = created.nodes.filter((n) => !n.ok);
    if (unable.length) process.stdout.write(describeFit(unable));
  }
  return EXIT.ok;
});

function describeFit(nodes: NodeFit[]): string {
  if (!nodes.length) return '  no node has joined the head yet\n';
  return nodes.map((n) => `  ${terminalSafe(n.node)}: ${n.ok ? 'can run it' : terminalSafe(n.reasons.join('; '))}${n.connected ? '' : ' (offline)'}`).join('\n') + '\n';
}
