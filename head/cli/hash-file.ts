/**
 * Streaming sha256 of a local file, so `add` can hash multi-gigabyte container images without
 * reading them into memory (shared/hash-file.ts: two reused 1 MiB buffers).
 */
import { sha256OfFile } from '../../shared/hash-file.ts';

/** sha256 (lowercase hex) and size in bytes of the file at `path`; rejects on I/O errors. */
export function hashFile(path: string): Promise<{ sha256: string; size: number }> {
  return sha256OfFile(path);
}
