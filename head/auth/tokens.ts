/**
 * Tokens: the admin token and the agent enrollment token live in files under the data folder
 * (mode 0600, created on first start); user tokens are created by the admin and node credentials
 * by enrollment (see node-credentials.ts), and both are stored only as hashes.
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Principal, UserRecord } from '../state/types.ts';

export const newToken = (prefix: string) => `${prefix}_${crypto.randomBytes(24).toString('base64url')}`;
export const hashToken = (token: string) => crypto.createHash('sha256').update(token).digest('hex');

/** Read a token file (tightening it to mode 0600), creating it with a fresh token when absent. */
export async function ensureTokenFile(file: string, prefix: string): Promise<{ token: string; created: boolean }> {
  try {
    const token = (await fs.readFile(file, 'utf8')).trim();
    if (token.length >= 16) {
      await fs.chmod(file, 0o600); // files written by earlier versions (or by hand) may be 0644
      return { token, created: false };
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const token = newToken(prefix);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, token + '\n', { mode: 0o600 });
  await fs.chmod(file, 0o600);
  return { token, created: true };
}

/** Compares in constant time. */
function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

/** Replace the token in `file` with a fresh one (mode 0600, written atomically); returns it. */
export async function rotateTokenFile(file: string, prefix: string): Promise<string> {
  const token = newToken(prefix);
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, token + '\n', { mode: 0o600 });
  await fs.chmod(tmp, 0o600);
  await fs.rename(tmp, file);
  return token;
}

export interface TokenBook {
  adminToken: string;
  /** The enrollment token (the `agent-token` file); replaced in place when rotated. */
  agentToken: string;
  users: () => UserRecord[];
  /** The enrolled node a node credential belongs to, or null. */
  nodeOf: (token: string) => string | null;
}

/**
 * Who presents `token`, or null. The enrollment token only enrolls (principal `enroll`); a node
 * credential is the principal `agent` named after its node.
 */
export function resolveToken(book: TokenBook, token: string | undefined): Principal | null {
  if (!token) return null;
  if (same(token, book.adminToken)) return { kind: 'admin', name: 'admin' };
  if (same(token, book.agentToken)) return { kind: 'enroll', name: 'enrollment' };
  const node = book.nodeOf(token);
  if (node !== null) return { kind: 'agent', name: node };
  const h = hashToken(token);
  const user = book.users().find((u) => same(u.tokenHash, h));
  if (!user) return null;
  return user.admin ? { kind: 'admin', name: user.name } : { kind: 'user', name: user.name };
}

/** The bearer token of a request's Authorization header. */
export function bearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}
