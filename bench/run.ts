/**
 * `npm run bench [-- --quick] [-- --only NAME ...] [-- --out FILE]`: run the benchmarks one after
 * another and print each table. `--quick` uses small sizes (under a minute in all);
 * `--out` also writes the markdown report to a file.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { formatResult, machineLine, type Bench } from './report.ts';

const BENCHES: Record<string, () => Promise<{ bench: Bench }>> = {
  throughput: () => import('./throughput.ts'),
  peers: () => import('./peers.ts'),
  'scheduler-scale': () => import('./scheduler-scale.ts'),
  'small-pull': () => import('./small-pull.ts'),
  'large-file': () => import('./large-file.ts'),
  startup: () => import('./startup.ts'),
  packing: () => import('./packing.ts'),
};

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: { quick: { type: 'boolean', default: false }, only: { type: 'string', multiple: true }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }).values;
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).message}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`usage: npm run bench -- [--quick] [--only NAME ...] [--out FILE]\nbenchmarks: ${Object.keys(BENCHES).join(', ')}\n`);
    return 0;
  }
  const names = args.only?.length ? args.only : Object.keys(BENCHES);
  const unknown = names.filter((n) => !(n in BENCHES));
  if (unknown.length) {
    process.stderr.write(`bench: unknown benchmark ${unknown.join(', ')} (have ${Object.keys(BENCHES).join(', ')})\n`);
    return 2;
  }
  const header = `# distribute benchmarks${args.quick ? ' (--quick)' : ''}\n\n- Machine: ${machineLine()}\n- Run: ${new Date().toISOString()}\n`;
  process.stdout.write(header + '\n');
  const parts = [header];
  let failed = 0;
  for (const name of names) {
    const started = performance.now();
    try {
      const { bench } = await BENCHES[name]();
      const result = await bench.run({ quick: args.quick, log: (line) => process.stderr.write(`  ${line}\n`) });
      const text = formatResult(result) + `\n_(${name} took ${((performance.now() - started) / 1000).toFixed(0)} s)_\n`;
      process.stdout.write(text + '\n');
      parts.push(text);
    } catch (err) {
      failed++;
      process.stderr.write(`bench ${name} failed: ${(err as Error).stack ?? err}\n`);
    }
  }
  if (args.out) fs.writeFileSync(args.out, parts.join('\n'));
  return failed ? 1 : 0;
}

process.exitCode = await main();
