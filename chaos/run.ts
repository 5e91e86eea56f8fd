/**
 * `npm run chaos -- [--seed N] [--short] [--jobs N] [--baseline] [--json]`: a head and three agents run a batch
 * while the head is SIGKILLed and agents are SIGKILLed, SIGSTOPped past the node timeout and
 * SIGTERMed; prints the seed and a summary table, exits 1 when a check failed. `--short` is the
 * ~60 s variant `npm test` runs (test/integration/chaos-short.test.ts).
 */
import { parseArgs } from 'node:util';
import { runChaos, type ChaosOptions } from './chaos.ts';
import { formatReport, markdownRow } from './report.ts';

/** The full run (200 jobs, at least 25 faults) and the short one. */
export function chaosPreset(short: boolean): Omit<ChaosOptions, 'seed' | 'log'> {
  return short
    ? { jobs: 40, agents: 3, minFaults: 8, nodeTimeoutMs: 3000, gapMs: [600, 2000], jobMs: [500, 2500], timeoutMs: 180_000 }
    : { jobs: 200, agents: 3, minFaults: 25, nodeTimeoutMs: 4000, gapMs: [500, 3000], jobMs: [200, 1500], timeoutMs: 900_000 };
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({ options: {
      seed: { type: 'string' }, short: { type: 'boolean', default: false }, jobs: { type: 'string' },
      json: { type: 'boolean', default: false }, keep: { type: 'boolean', default: false }, baseline: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    } }).values;
  } catch (err) {
    process.stderr.write(`chaos: ${(err as Error).message}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write('usage: npm run chaos -- [--seed N] [--short] [--jobs N] [--baseline] [--json] [--keep]\n  --baseline: the same batch without faults, for the wall time\n');
    return 0;
  }
  const seed = args.seed === undefined ? Math.floor(Math.random() * 1e6) : Number(args.seed);
  const jobs = args.jobs === undefined ? undefined : Number(args.jobs);
  if (!Number.isSafeInteger(seed) || seed < 0 || (jobs !== undefined && (!Number.isSafeInteger(jobs) || jobs < 1))) {
    process.stderr.write('chaos: --seed and --jobs take a whole number\n');
    return 2;
  }
  const preset = chaosPreset(args.short);
  process.stdout.write(`chaos seed ${seed} (re-run with: npm run chaos -- --seed ${seed}${args.short ? ' --short' : ''})\n`);
  let report;
  try {
    report = await runChaos({
      ...preset, seed, jobs: jobs ?? preset.jobs, keep: args.keep, baseline: args.baseline,
      minFaults: args.baseline ? 0 : preset.minFaults,
      log: (line) => process.stdout.write(`  [${new Date().toISOString().slice(11, 19)}] ${line}\n`),
    });
  } catch (err) {
    process.stderr.write(`chaos: could not run: ${(err as Error).message}\n`);
    return 1;
  }
  process.stdout.write(args.json ? JSON.stringify({ ...report, attribution: { reruns: report.attribution.reruns, suspicious: report.attribution.suspicious } }, null, 1) + '\n'
    : `\n${formatReport(report)}\nmarkdown: ${markdownRow(report)}\n`);
  return report.ok ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main();
