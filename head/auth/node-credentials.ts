/**
 * Per-node credentials. The head's `agent-token` only *enrolls*: the first agent presenting it
 * with a name nobody enrolled yet receives a credential bound to that name (in its `welcome`),
 * stores it in its workdir and uses it from then on. The head keeps only the sha256 of each
 * credential, in `meta.json` next to the users. A name that is enrolled cannot be taken with the
 * enrollment token: whoever holds a workstation's copy of it can no longer pose as another node.
 *
 * Head data folders of 0.1 have no credentials: every known node name is then enrollable once,
 * by the first agent that presents the enrollment token for it (its upgraded agent, normally).
 */
import { hashToken, newToken } from './tokens.ts';

/** One enrolled node: its name and the sha256 of its credential. */
export interface NodeCredential {
  name: string;
  hash: string;
  enrolledAt: number;
}

/** The enrolled nodes, kept in (and edited in place in) the meta document's `credentials` list. */
export class NodeCredentials {
  private readonly byHash = new Map<string, NodeCredential>();

  /** `list` is the persisted array; it is edited in place so saving the meta document saves it. */
  constructor(private readonly list: NodeCredential[]) {
    for (const c of list) this.byHash.set(c.hash, c);
  }

  /** The node a credential belongs to, or null. (Looked up by sha256, which leaks nothing.) */
  nodeOf(token: string): string | null {
    return this.byHash.get(hashToken(token))?.name ?? null;
  }

  isEnrolled(name: string): boolean {
    return this.list.some((c) => c.name === name);
  }

  /** Every enrolled node name. */
  names(): string[] {
    return this.list.map((c) => c.name);
  }

  /**
   * Enroll `name` and return its fresh credential (the only time it exists outside the agent).
   * Throws if the name is enrolled already: callers check {@link isEnrolled} first.
   */
  enroll(name: string, now: number): string {
    if (this.isEnrolled(name)) throw new Error(`node '${name}' is already enrolled`);
    const token = newToken('nod');
    const entry: NodeCredential = { name, hash: hashToken(token), enrolledAt: now };
    this.list.push(entry);
    this.byHash.set(entry.hash, entry);
    return token;
  }

  /** Revoke the credential of `name`; false if it had none. */
  revoke(name: string): boolean {
    const i = this.list.findIndex((c) => c.name === name);
    if (i < 0) return false;
    this.byHash.delete(this.list[i].hash);
    this.list.splice(i, 1);
    return true;
  }
}
