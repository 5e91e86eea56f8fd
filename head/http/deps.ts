/** What the HTTP routes need from the rest of the head. */
import type { Archive } from '../archive/archive.ts';
import type { DiskWatch } from '../archive/disk-space.ts';
import type { TokenBook } from '../auth/tokens.ts';
import type { Cluster } from '../core/cluster.ts';
import type { Store } from '../store/store.ts';

export interface AppDeps {
  cluster: Cluster;
  archive: Archive;
  /** The archive disk's free space and full/low state (507s mark it full). */
  disk: DiskWatch;
  store: Store;
  tokens: TokenBook;
  /** Largest input file accepted by `add` (bytes). */
  maxInputBytes: number;
  /** How long a JSON body may take to arrive (default 30 s; body-limits.ts). */
  bodyDeadlineMs?: number;
  now: () => number;
  log: (line: string) => void;
  /** Create a user and return its token (admin route). */
  addUser: (name: string, admin: boolean) => Promise<{ ok: true; token: string } | { ok: false; error: string }>;
  /** Replace the enrollment token (file and memory); resolves with the new one. */
  rotateEnrollment: () => Promise<string>;
}
