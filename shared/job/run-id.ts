/**
 * Run identity. Every assignment of a job to a node is one *run*, named by a run id the head
 * draws at random when it assigns (never derived from a counter, so no crash can make two runs
 * share one). A run also has a *run key*: a secret only the head (as a hash) and the node holding
 * the run know. The key proves the holder when it uploads results over HTTP or claims the run
 * again in `hello`; the run id itself may be shown anywhere.
 */
import crypto from 'node:crypto';
import { sha256Hex } from '../hash-file.ts';

/** What a run id looks like on the wire and on disk: safe as a path segment and in a URL. */
export const RUN_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

/**
 * Random bytes drawn from the CSPRNG 4 KiB at a time and handed out once each: a head assigning
 * thousands of runs a second paid ~3 µs of CPU per `randomBytes` call (two per run), against one
 * `randomFillSync` per ~90 runs here. Bytes are never handed out twice.
 */
const pool = Buffer.alloc(4096);
let poolUsed = pool.length;

function randomSlice(bytes: number): Buffer {
  if (poolUsed + bytes > pool.length) {
    crypto.randomFillSync(pool);
    poolUsed = 0;
  }
  const out = pool.subarray(poolUsed, poolUsed + bytes);
  poolUsed += bytes;
  return out;
}

/** A fresh random run id (96 bits). */
export function newRunId(): string {
  return `r${randomSlice(12).toString('base64url')}`;
}

/** A fresh random run key (256 bits). */
export function newRunKey(): string {
  return randomSlice(32).toString('base64url');
}

/** How the head keeps a run key (it never stores the key itself). */
export function hashRunKey(key: string): string {
  return sha256Hex(key);
}

/**
 * The run id given to a run that started under version 0.1 (which knew runs only by attempt
 * number). Head and agent both derive it when they migrate their state, so they agree on it
 * without talking; such a run has no key (see docs/fault-tolerance.md, "Upgrading").
 */
export function legacyRunId(batchId: string, job: string, attempt: number): string {
  return `v1-${crypto.createHash('sha256').update(`${batchId}\0${job}\0${attempt}`).digest('base64url').slice(0, 22)}`;
}
