/**
 * Every run of a job appends one line to a counter file outside the workdirs: the job's name, the
 * time it started and its `DISTRIBUTE_JOB_MARKER` (a path inside the agent's workdir, which
 * names the node). A job with more than one line ran again; each re-run is put down to the fault
 * that caused it: a fault of the node that held the earlier run, or a fault that froze the node of
 * the later run until just before it started (a node stopped with an assignment in hand starts it
 * when it is continued, after the head gave the job to another node: the runs then start in the
 * opposite order), or else a head restart in between, or else nothing (unexplained).
 */
import fs from 'node:fs';
import { FAULT_KINDS, type Fault, type FaultKind } from './faults.ts';

export interface RunLine { job: string; at: number; node: string }

/** Parse the counter file; `nodeOf` maps a marker path to the node whose workdir holds it. */
export function readRuns(file: string, nodeOf: (marker: string) => string): RunLine[] {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => {
    const [job, at, marker = ''] = line.split(' ');
    return { job, at: Number(at), node: nodeOf(marker) };
  });
}

export type Cause = FaultKind | 'unexplained';

export interface Attribution {
  /** Runs per job. */
  runs: Map<string, RunLine[]>;
  /** Re-runs per cause. */
  reruns: Record<Cause, number>;
  /** One line per re-run not explained by a fault of its node. */
  suspicious: string[];
}

/** A fault counts for a run that started up to this long after it (the job was already on its way). */
const SLACK_MS = 3000;

export function attribute(lines: RunLine[], faults: Fault[]): Attribution {
  const runs = new Map<string, RunLine[]>();
  for (const l of lines) runs.set(l.job, [...(runs.get(l.job) ?? []), l]);
  const reruns = Object.fromEntries([...FAULT_KINDS, 'unexplained'].map((k) => [k, 0])) as Record<Cause, number>;
  const suspicious: string[] = [];
  for (const [job, list] of runs) {
    list.sort((a, b) => a.at - b.at);
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1];
      const cur = list[i];
      // A fault is an interval (a SIGSTOP lasts until the SIGCONT): it counts when it overlaps
      // the time between the two starts.
      const within = (f: Fault) => f.at <= cur.at && Math.max(f.until, f.at) >= prev.at - SLACK_MS;
      const froze = (f: Fault) => f.at <= cur.at && f.until >= cur.at - SLACK_MS;
      const ofNode = faults.filter((f) => (f.target === prev.node && within(f)) || (f.target === cur.node && f.target !== prev.node && froze(f))).pop();
      const ofHead = faults.filter((f) => f.target === 'head' && within(f)).pop();
      const cause: Cause = ofNode?.kind ?? ofHead?.kind ?? 'unexplained';
      reruns[cause]++;
      if (!ofNode) suspicious.push(`${job}: ran on ${prev.node} at +${prev.at} and again on ${cur.node} at +${cur.at} (${cause})`);
    }
  }
  return { runs, reruns, suspicious };
}
