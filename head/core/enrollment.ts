/**
 * Enrolled nodes: an agent presenting the enrollment token gets a credential of its own for its
 * node name (head/auth/node-credentials.ts keeps the hashes in the meta document); a node
 * removed or forgotten loses it (node-loss.ts).
 */
import { NodeCredentials } from '../auth/node-credentials.ts';
import type { MetaDoc } from '../state/types.ts';

export interface EnrollmentDeps {
  /** The meta document holding `credentials`. */
  meta: () => MetaDoc;
  saveMetaNow: () => Promise<void>;
  now: () => number;
  log: (line: string) => void;
}

export class Enrollment {
  /** Enrolled nodes' credentials (over `meta.credentials`; rebuilt by {@link load}). */
  credentials = new NodeCredentials([]);

  constructor(private readonly deps: EnrollmentDeps) {}

  /** The meta document was loaded: take its credentials (absent in data folders of 0.1: none). */
  load(): void {
    this.credentials = new NodeCredentials(this.deps.meta().credentials ??= []);
  }

  /**
   * Enroll node `name` (not enrolled yet: check `credentials.isEnrolled`) and return its
   * credential once the enrollment is on disk.
   */
  async enroll(name: string): Promise<string> {
    const token = this.credentials.enroll(name, this.deps.now());
    await this.deps.saveMetaNow();
    this.deps.log(`node ${name} enrolled`);
    return token;
  }

  /** Undo an enrollment whose credential never reached its agent (the socket closed first). */
  async cancel(name: string): Promise<void> {
    if (this.credentials.revoke(name)) await this.deps.saveMetaNow();
  }

  /** Revoke the credential of `name` (the caller saves the meta document); false if it had none. */
  revoke(name: string): boolean {
    return this.credentials.revoke(name);
  }
}
