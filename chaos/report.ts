/** The summary a chaos run prints: seed, faults and the re-runs each kind caused, wall time, checks. */
import { FAULT_KINDS } from './faults.ts';
import type { ChaosReport } from './chaos.ts';

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')).join('\n') + '\n';
}

export function formatReport(r: ChaosReport): string {
  const count = (k: string) => r.faults.filter((f) => f.kind === k).length;
  const reruns = r.attribution.reruns;
  const totalReruns = Object.values(reruns).reduce((a, b) => a + b, 0);
  const runs = [...r.attribution.runs.values()].reduce((a, l) => a + l.length, 0);
  const lines = [
    `chaos seed ${r.seed}: ${r.jobs} jobs, ${r.agents} agents, node timeout ${r.nodeTimeoutMs / 1000} s: ${r.ok ? 'PASS' : 'FAIL'}`,
    `wall time ${(r.wallMs / 1000).toFixed(1)} s, ${runs} runs for ${r.jobs} jobs`,
    '',
    table([['FAULT', 'COUNT', 'RE-RUNS'], ...FAULT_KINDS.map((k) => [k, String(count(k)), String(reruns[k])]),
      ['unexplained', '-', String(reruns.unexplained)], ['total', String(r.faults.length), String(totalReruns)]]),
    table([['CHECK', 'RESULT'], ...r.checks.map((c) => [c.name, c.ok ? 'ok' : 'FAILED'])]),
    ...r.checks.filter((c) => !c.ok).map((c) => `FAILED ${c.name}: ${c.detail}`),
    ...(r.ok ? [] : [`kept for inspection: ${r.root}`]),
  ];
  return lines.join('\n') + '\n';
}

/** The report as markdown rows for docs/fault-tolerance.md. */
export function markdownRow(r: ChaosReport): string {
  const count = (k: string) => r.faults.filter((f) => f.kind === k).length;
  const re = r.attribution.reruns;
  return `| ${r.seed} | ${r.jobs} | ${FAULT_KINDS.map((k) => `${count(k)} / ${re[k]}`).join(' | ')} | ${re.unexplained} | ${(r.wallMs / 1000).toFixed(0)} s | ${r.ok ? 'pass' : 'FAIL'} |`;
}
