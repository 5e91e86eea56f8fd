/**
 * Streaming sha256 of a local file, so `add` can hash multi-gigabyte container images without
 * reading them into memory.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** sha256 (lowercase hex) and size in bytes of the file at `path`; rejects on I/O errors. */
export function hashFile(path: string): Promise<{ sha256: string; size: number }> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let size = 0;
    const stream = createReadStream(path);
    stream.on('data', (chunk) => {
      size += chunk.length;
      hash.update(chunk);
    });
    stream.on('error', reject);
    stream.on('end', () => resolve({ sha256: hash.digest('hex'), size }));
  });
}
