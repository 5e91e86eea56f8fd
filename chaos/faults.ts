/**
 * The fault injector: one fault after another, at random gaps, until told to stop. Head SIGKILL
 * (down for a random outage, sometimes longer than the node timeout, then restarted), agent
 * SIGKILL (restarted after a moment: it adopts the job that survived it), agent SIGSTOP past the
 * node timeout (continued later, in the background: the head re-runs its job meanwhile) and agent
 * SIGTERM (it hands its job back, then is restarted).
 */
import type { Rng } from './rng.ts';
import { alive, signalAndWait, type ChaosCluster } from './cluster.ts';

export const FAULT_KINDS = ['head SIGKILL', 'agent SIGKILL', 'agent SIGSTOP', 'agent SIGTERM'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Fault {
  kind: FaultKind;
  /** `head` or the agent's name. */
  target: string;
  /** When it was injected and when its target was back (restarted or continued). */
  at: number;
  until: number;
  /** Something went wrong in the fault itself (an agent that did not exit cleanly on SIGTERM). */
  problem?: string;
}

export interface InjectOptions {
  nodeTimeoutMs: number;
  /** Gap between two faults (ms). */
  gapMs: [number, number];
  /** Stop injecting once this returns true (checked between faults). */
  done: () => boolean;
  log: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Inject faults until `done()`, then heal the cluster; returns what was injected. */
export async function injectFaults(cluster: ChaosCluster, rng: Rng, opts: InjectOptions): Promise<Fault[]> {
  const faults: Fault[] = [];
  const continues: Promise<void>[] = [];
  while (!opts.done()) {
    await sleep(rng.int(opts.gapMs[0], opts.gapMs[1]));
    if (opts.done()) break;
    const up = cluster.upAgents();
    const kind = up.length ? rng.pick([['head SIGKILL', 3], ['agent SIGKILL', 2], ['agent SIGSTOP', 2], ['agent SIGTERM', 2]] as const) : 'head SIGKILL';
    const at = Date.now();
    if (kind === 'head SIGKILL') {
      await cluster.killHead();
      // Mostly short outages, sometimes well past the node timeout.
      const outage = rng.next() < 0.2 ? rng.int(2 * opts.nodeTimeoutMs, 3 * opts.nodeTimeoutMs) : rng.int(300, opts.nodeTimeoutMs);
      await sleep(outage);
      await cluster.startHead();
      faults.push({ kind, target: 'head', at, until: Date.now() });
      opts.log(`${kind}: down ${outage} ms`);
      continue;
    }
    const slot = up[rng.int(0, up.length - 1)];
    const proc = slot.proc!;
    if (kind === 'agent SIGSTOP') {
      const stopMs = opts.nodeTimeoutMs + rng.int(500, 3000);
      proc.child.kill('SIGSTOP');
      slot.stoppedUntil = at + stopMs;
      const fault: Fault = { kind, target: slot.name, at, until: at + stopMs };
      faults.push(fault);
      opts.log(`${kind} ${slot.name}: ${stopMs} ms`);
      continues.push(sleep(stopMs).then(() => {
        if (slot.proc === proc && alive(proc)) proc.child.kill('SIGCONT');
        slot.stoppedUntil = null;
        fault.until = Date.now();
      }));
      continue;
    }
    const signal = kind === 'agent SIGKILL' ? 'SIGKILL' : 'SIGTERM';
    const code = await signalAndWait(proc, signal);
    const fault: Fault = { kind, target: slot.name, at, until: 0 };
    if (signal === 'SIGTERM' && code !== 0) fault.problem = `${slot.name} exited ${code ?? proc.child.signalCode} after SIGTERM`;
    await sleep(rng.int(200, 2000));
    cluster.startAgent(slot);
    fault.until = Date.now();
    faults.push(fault);
    opts.log(`${kind} ${slot.name}${fault.problem ? ` (${fault.problem})` : ''}`);
  }
  await Promise.all(continues);
  await cluster.heal();
  return faults;
}
