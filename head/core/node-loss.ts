/**
 * How nodes go away: silent past the node timeout (lost: their runs go back to the queue, their
 * own runs may still finish first), removed by the admin (`distribute nodes rm`), or forgotten
 * after being offline for days. Returning is the registry's hello.
 */
import { CloseCode } from '../../shared/protocol/messages.ts';
import type { Enrollment } from './enrollment.ts';
import type { NodeRegistry } from './node-registry.ts';
import { fail, type Result } from './result.ts';
import type { MetaDoc } from '../state/types.ts';

export interface NodeLossDeps {
  registry: NodeRegistry;
  enrollment: Enrollment;
  meta: () => MetaDoc;
  saveMetaNow: () => Promise<void>;
  now: () => number;
  log: (line: string) => void;
  /** A node silent this long is lost and its jobs re-queued. */
  nodeTimeoutMs: number;
}

export class NodeLoss {
  /** When `checkTimeouts` last ran, to notice that the head itself was frozen. */
  private lastCheck: number | null = null;

  constructor(private readonly deps: NodeLossDeps) {}

  /** Lose the nodes silent past the timeout. Called by a timer (often: see the frozen-head rule). */
  checkTimeouts(): void {
    const { registry, nodeTimeoutMs } = this.deps;
    const now = this.deps.now();
    const gap = this.lastCheck === null ? 0 : now - this.lastCheck;
    this.lastCheck = now;
    if (gap > nodeTimeoutMs / 2) {
      // The head itself did not run for a while (stopped, suspended, starved): the silence was
      // ours. Give every node a full timeout to speak up instead of losing all of them at once.
      this.deps.log(`head was unresponsive for ${gap} ms; not counting that against the nodes`);
      registry.excuseSilence(now);
      return;
    }
    for (const node of registry.nodes.values()) {
      if (node.presence.state !== 'lost' && now - registry.silentSince(node) > nodeTimeoutMs) registry.lose(node);
    }
  }

  /**
   * Revoke and forget node `name` (`distribute nodes rm`, or a node offline too long): its socket
   * is closed with `revoked`, its jobs are re-queued and its record and credential are deleted.
   */
  async remove(name: string, reason: string): Promise<Result<{ name: string; wasConnected: boolean }>> {
    const live = this.deps.registry.nodes.get(name);
    const wasConnected = live !== undefined && (live.presence.state === 'connected' || live.presence.state === 'leaving');
    const known = this.deps.registry.forget(name, CloseCode.revoked, reason);
    const revoked = this.deps.enrollment.revoke(name);
    if (!known && !revoked) return fail('not-found', `no node '${name}'`);
    await this.deps.saveMetaNow();
    this.deps.log(`node ${name} removed: ${reason}`);
    return { ok: true, value: { name, wasConnected } };
  }

  /** Forget nodes offline for longer than `maxOfflineMs` (their credentials too). Called by a timer. */
  async forgetOffline(maxOfflineMs: number): Promise<string[]> {
    const names = this.deps.registry.offlineLongerThan(maxOfflineMs);
    // A credential whose node never said hello (enrolled, then gone at once) goes the same way.
    const now = this.deps.now();
    for (const c of this.deps.meta().credentials ?? []) {
      if (!this.deps.registry.nodes.has(c.name) && now - c.enrolledAt > maxOfflineMs && !names.includes(c.name)) names.push(c.name);
    }
    for (const name of names) await this.remove(name, `offline for more than ${Math.round(maxOfflineMs / 86_400_000 * 10) / 10} days; forgotten`);
    return names;
  }
}
