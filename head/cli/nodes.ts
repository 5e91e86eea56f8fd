/** `distribute nodes`: every node with capabilities, state and current job. */
import type { Command } from 'commander';
import { routes } from '../../shared/api/routes.ts';
import type { NodeView } from '../core/views.ts';
import { action, bytes, HeadClient, table, withHeadOptions, type HeadOptions } from './client.ts';

export function register(program: Command): void {
  withHeadOptions(program
    .command('nodes')
    .description('list compute nodes with their capabilities, state and current job')
    .option('--json', 'print JSON'))
    .action(action('nodes', async (opts: HeadOptions & { json?: boolean }) => {
      const { nodes } = await new HeadClient(opts).json<{ nodes: NodeView[] }>(routes.nodes());
      if (opts.json) {
        process.stdout.write(JSON.stringify(nodes, null, 2) + '\n');
        return;
      }
      process.stdout.write(nodes.length ? table([['NODE', 'STATE', 'CORES', 'THREADS', 'MEMORY', 'GPUS', 'TAGS', 'OWNER', 'CURRENT'], ...nodes.map((n) => [
        n.name, n.state + (n.paused?.until ? ` until ${new Date(n.paused.until).toLocaleTimeString()}` : ''),
        String(n.capabilities.physicalCores), String(n.capabilities.logicalCores), bytes(n.capabilities.memoryBytes),
        n.capabilities.gpus.map((g) => `${g.model} (${bytes(g.memoryBytes)})`).join(', ') || '-', n.capabilities.tags.join(',') || '-',
        n.owner ?? '-', n.current ? `${n.current.namespace}/${n.current.batch}/${n.current.job} (${n.current.state})` : '-',
      ])]) : 'no node has joined this head yet\n');
    }));
}
