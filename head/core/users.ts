/**
 * The head's users (besides the admin): who they are and the hash of their token, kept in the
 * meta document. The admin route and `distribute users add` create them; the token book reads them.
 */
import { unsafeNameReason } from '../../shared/names.ts';
import { hashToken, newToken } from '../auth/tokens.ts';
import type { MetaDoc, UserRecord } from '../state/types.ts';

export interface UsersDeps {
  /** The meta document holding `users` (replaced when the head loads its state). */
  meta: () => MetaDoc;
  /** Write the meta document durably. */
  saveMetaNow: () => Promise<void>;
  now: () => number;
}

export type AddUserResult = { ok: true; token: string } | { ok: false; error: string };

export class Users {
  constructor(private readonly deps: UsersDeps) {}

  /** Every user, in the order they were created. */
  list(): UserRecord[] {
    return this.deps.meta().users;
  }

  /**
   * Create user `name` and return its token (the only time it exists on the head; only its hash
   * is stored). Refused for an unsafe name, `admin`, or a name taken; durable before it resolves.
   */
  async add(name: string, admin: boolean): Promise<AddUserResult> {
    const bad = unsafeNameReason(name);
    if (bad) return { ok: false, error: `user name ${bad}` };
    if (name === 'admin' || this.list().some((u) => u.name === name)) return { ok: false, error: `user '${name}' already exists` };
    const token = newToken('usr');
    this.list().push({ name, tokenHash: hashToken(token), admin, createdAt: this.deps.now() });
    await this.deps.saveMetaNow();
    return { ok: true, token };
  }
}
