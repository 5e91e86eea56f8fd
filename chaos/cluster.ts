/**
 * The processes of a chaos run: one head (restarted on the same data folder and port after each
 * kill) and a few agents (restarted with the same name and workdir), real CLI processes as in
 * the integration tests. Every incarnation's output is kept, to look for stack traces at the end.
 */
import path from 'node:path';
import { startAgentProc, startHeadProc, type HeadProc, type Proc } from '../test/helpers/cluster.ts';

/** One agent: its name and workdir stay, its process changes with each restart. */
export interface AgentSlot {
  name: string;
  workdir: string;
  proc: Proc | null;
  /** SIGSTOPped until this time (the injector continues it), else null. */
  stoppedUntil: number | null;
}

export class ChaosCluster {
  head!: HeadProc;
  readonly agents: AgentSlot[];
  /** Every process started, with a label, for the output checks. */
  readonly procs: { label: string; proc: Proc }[] = [];
  private port = 0;

  constructor(readonly root: string, readonly nodeTimeout: string, agentCount: number) {
    this.agents = Array.from({ length: agentCount }, (_, i) => ({ name: `chaos-${i + 1}`, workdir: path.join(root, `agent-${i + 1}`), proc: null, stoppedUntil: null }));
  }

  get dataDir(): string {
    return path.join(this.root, 'head');
  }

  /** Start (or restart) the head on its data folder and, after the first start, its port. */
  async startHead(): Promise<void> {
    this.head = await startHeadProc(this.dataDir, { port: this.port, nodeTimeout: this.nodeTimeout, extra: ['--min-free-disk', '0'] });
    this.port = this.head.port;
    this.procs.push({ label: `head#${this.procs.filter((p) => p.label.startsWith('head')).length + 1}`, proc: this.head });
  }

  async killHead(): Promise<void> {
    await signalAndWait(this.head, 'SIGKILL');
  }

  startAgent(slot: AgentSlot): void {
    slot.proc = startAgentProc(this.head, slot.name, slot.workdir);
    this.procs.push({ label: `${slot.name}#${this.procs.filter((p) => p.label.startsWith(`${slot.name}#`)).length + 1}`, proc: slot.proc });
  }

  /** Agents that are running and not stopped (candidates for the next fault). */
  upAgents(): AgentSlot[] {
    return this.agents.filter((a) => a.proc && alive(a.proc) && a.stoppedUntil === null);
  }

  /** Continue stopped agents, restart dead ones, restart the head if it is down. */
  async heal(): Promise<void> {
    if (!alive(this.head)) await this.startHead();
    for (const a of this.agents) {
      if (a.stoppedUntil !== null && a.proc) a.proc.child.kill('SIGCONT');
      a.stoppedUntil = null;
      if (!a.proc || !alive(a.proc)) this.startAgent(a);
    }
  }

  /** Stop every agent (SIGTERM: they are idle by now) and then the head. */
  async shutdown(): Promise<{ label: string; code: number | null }[]> {
    const exits: { label: string; code: number | null }[] = [];
    for (const a of this.agents) {
      if (!a.proc) continue;
      a.proc.child.kill('SIGCONT');
      exits.push({ label: a.name, code: await signalAndWait(a.proc, 'SIGTERM') });
    }
    exits.push({ label: 'head', code: await signalAndWait(this.head, 'SIGTERM') });
    return exits;
  }
}

export function alive(p: Proc): boolean {
  return p.child.exitCode === null && p.child.signalCode === null;
}

/** Send `signal` and wait for the exit (SIGKILL after 30 s); resolves with the exit code. */
export async function signalAndWait(p: Proc, signal: NodeJS.Signals): Promise<number | null> {
  if (!alive(p)) return p.child.exitCode;
  p.child.kill(signal);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 30_000);
  const code = await p.exited;
  clearTimeout(timer);
  return code;
}
