/**
 * `distribute nodes` (alias `nodes list`): every node with capabilities, state, free capacity and
 * every job it runs.
 * `distribute nodes rm NAME` (admin): revoke the node's credential and forget it.
 */
import type { Command } from 'commander';
import { printable } from '../../shared/names.ts';
import type { NodeView } from '../../shared/api/head-api.ts';
import { archiveLine } from './archive-line.ts';
import { formatSize } from '../../shared/format.ts';
import { action, connectHead, must, table, withHeadOptions, type HeadOptions } from './client.ts';

/** `3c 12.5G 1gpu`: what is left of a node for more jobs (`-` while it is not connected). */
export function freeText(n: Pick<NodeView, 'free' | 'state'>): string {
  if (!n.free || n.state === 'offline' || n.state === 'lost' || n.state === 'stopped') return '-';
  return `${n.free.cpus}c ${n.free.memoryGb}G${n.free.gpus ? ` ${n.free.gpus}gpu` : ''}`;
}

/** Every run of a node: `ns/batch/job (running, 1c)`, comma-separated; `-` for none. */
export function runsText(n: Pick<NodeView, 'runs'>, namespace = false): string {
  if (!n.runs?.length) return '-';
  return n.runs.map((r) => `${namespace ? `${r.namespace}/` : ''}${r.batch}/${r.job} (${r.state}${r.request ? `, ${r.request.cpus}c` : ''})`).join(', ');
}

export function register(program: Command): void {
  const nodes = program.command('nodes').description('list compute nodes (default), or remove one (admin)');
  withHeadOptions(nodes
    .command('list', { isDefault: true })
    .description('list compute nodes with their capabilities, state, free capacity and the jobs they run')
    .option('--json', 'print JSON'))
    .action(action('nodes', async (opts: HeadOptions & { json?: boolean }) => {
      const { nodes, archive } = must(await connectHead(opts).nodes());
      if (opts.json) {
        process.stdout.write(JSON.stringify(nodes, null, 2) + '\n');
        return;
      }
      process.stdout.write(nodes.length ? table([['NODE', 'STATE', 'CORES', 'THREADS', 'MEMORY', 'GPUS', 'TAGS', 'OWNER', 'FREE', 'JOBS'], ...nodes.map((n) => [
        n.name, n.state + (n.paused?.until ? ` until ${new Date(n.paused.until).toLocaleTimeString()}` : ''),
        String(n.capabilities.physicalCores), String(n.capabilities.logicalCores), formatSize(n.capabilities.memoryBytes),
        n.capabilities.gpus.map((g) => `${g.model} (${formatSize(g.memoryBytes)})`).join(', ') || '-', n.capabilities.tags.join(',') || '-',
        n.owner ?? '-', freeText(n), runsText(n, true),
      ])]) : 'no node has joined this head yet\n');
      if (archive) process.stdout.write(`\n${archiveLine(archive)}\n`);
    }));
  withHeadOptions(nodes
    .command('rm')
    .argument('<name>', 'node name')
    .description('revoke a node\'s credential and forget it (admin); its job goes back to the queue. The name may then be enrolled again, so rotate the enrollment token too if the machine must stay out')
    .option('--json', 'print JSON'))
    .action(action('nodes rm', async (name: string, opts: HeadOptions & { json?: boolean }) => {
      const r = must(await connectHead(opts).removeNode(name));
      if (opts.json) process.stdout.write(JSON.stringify(r) + '\n');
      else process.stdout.write(`node '${printable(r.node)}' removed${r.wasConnected ? ' (it was connected and has been disconnected)' : ''}\n`);
    }));
}
