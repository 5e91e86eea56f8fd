/** `distribute status [BATCH]`: batches with counts per state, running jobs, nodes; or one batch's jobs. */
import type { Command } from 'commander';
import { freeText, runsText } from './nodes.ts';
import { terminalSafe, terminalSafeLines } from '../../shared/terminal-text.ts';
import { archiveLine } from './archive-line.ts';
import { formatSize, formatDuration } from '../../shared/format.ts';
import { action, connectHead, HEAD_OPTIONS, must, table, withOptions, type HeadOptions } from './client.ts';
import type { QuickCommand } from './quick-args.ts';

const OPTIONS = [...HEAD_OPTIONS, { flags: '--json', description: 'print JSON' }];

export function register(program: Command): void {
  withOptions(program
    .command('status')
    .argument('[batch]', 'a batch (id, namespace/name or name) to show job by job')
    .description('show batches, running jobs and nodes, or the jobs of one batch'), OPTIONS)
    .action(run);
}

/** `distribute status` read by main.ts without commander (./quick-args.ts) when its command line is simple. */
export const quick: QuickCommand = { options: OPTIONS, maxArgs: 1, run: (args, opts) => run(args[0], opts) };

const run = action('status', async (batch: string | undefined, opts: HeadOptions & { json?: boolean }) => {
  const client = connectHead(opts);
  if (batch) {
    const b = must(await client.batch(batch, { files: true }));
    if (opts.json) {
      process.stdout.write(JSON.stringify(b, null, 2) + '\n');
      return;
    }
    process.stdout.write(terminalSafe(`${b.namespace}/${b.name} (id ${b.id}, owner ${b.owner}): ${b.phase}${b.outcome ? `, ${b.outcome}` : ''}`) + '\n');
    process.stdout.write(table([['JOB', 'STATE', 'NODE', 'EXIT', 'RUN TIME', 'BYTES'], ...b.jobs.map((j) => [
      j.name, 'outcome' in j && j.outcome ? j.outcome : j.state + ('pausedUntil' in j && j.pausedUntil ? ` until ${new Date(j.pausedUntil).toLocaleTimeString()}` : ''),
      'node' in j && j.node ? j.node : '-', 'result' in j && j.result && 'exitCode' in j.result ? String(j.result.exitCode) : '-',
      'runMs' in j && typeof j.runMs === 'number' ? formatDuration(j.runMs, { units: 2 }) : '-', typeof j.bytes === 'number' ? formatSize(j.bytes) : '-',
    ])]));
    for (const [node, log] of Object.entries(b.buildFailures)) process.stdout.write(`\nbuild failed on ${terminalSafe(node)}:\n${terminalSafeLines(log)}\n`);
    return;
  }
  const s = must(await client.status());
  if (opts.json) {
    process.stdout.write(JSON.stringify(s, null, 2) + '\n');
    return;
  }
  process.stdout.write('BATCHES\n');
  process.stdout.write(s.batches.length ? table([['BATCH', 'OWNER', 'STATE', 'JOBS', 'QUEUED', 'RUNNING', 'PAUSED', 'OK', 'FAILED', 'CANCELLED'], ...s.batches.map((b) => [
    `${b.namespace}/${b.name}`, b.owner, b.outcome ?? b.phase, String(b.total), String(b.counts.queued),
    String(b.counts.running + b.counts.assigned), String(b.counts.paused), String(b.counts.succeeded),
    String(b.counts.failed + b.counts.buildFailed), String(b.counts.cancelled),
  ])]) : '  (none)\n');
  process.stdout.write('\nRUNNING\n');
  process.stdout.write(s.running.length ? table([['BATCH', 'JOB', 'OWNER', 'NODE', 'STATE', 'ELAPSED'], ...s.running.map((j) => [
    `${j.namespace}/${j.batch}`, j.name, j.owner, 'node' in j ? String(j.node) : '-',
    j.state === 'paused' && 'pausedUntil' in j ? `paused${j.pausedUntil ? ` until ${new Date(j.pausedUntil).toLocaleTimeString()}` : ''}` : j.state,
    'runMs' in j && typeof j.runMs === 'number' ? formatDuration(j.runMs, { units: 2 }) : '-',
  ])]) : '  (none)\n');
  process.stdout.write('\nNODES\n');
  process.stdout.write(s.nodes.length ? table([['NODE', 'STATE', 'CORES', 'MEMORY', 'TAGS', 'FREE', 'JOBS'], ...s.nodes.map((n) => [
    n.name, n.state, String(n.capabilities.physicalCores), formatSize(n.capabilities.memoryBytes), n.capabilities.tags.join(',') || '-',
    freeText(n), runsText(n),
  ])]) : '  (none)\n');
  const disk = Object.entries(s.disk);
  process.stdout.write(`\nARCHIVE\n${s.archive ? `${archiveLine(s.archive)}\n` : ''}`);
  if (disk.length) process.stdout.write(table([['NAMESPACE', 'SIZE'], ...disk.map(([ns, b]) => [ns, formatSize(b)])]));
});
