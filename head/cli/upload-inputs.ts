/**
 * Uploading a batch's input files to the head, streamed with a progress bar: `add` sends those the
 * head lacks, `retry --config` those it deleted after the batch ended.
 */
import fs from 'node:fs';
import type { HeadClient } from '../../shared/api/head-client.ts';
import { CliError, exitCodeOf } from './client.ts';
import { Progress } from './progress.ts';

export interface LocalInput { sha: string; path: string; size: number }

/** PUT each file to the head (which checks its sha256); throws a CliError naming the file that failed. */
export async function uploadInputs(client: HeadClient, files: LocalInput[], opts: { quiet?: boolean } = {}): Promise<number> {
  const sendBytes = files.reduce((a, f) => a + f.size, 0);
  const progress = new Progress('upload', sendBytes, { quiet: opts.quiet });
  try {
    for (const f of files) {
      const stored = await client.uploadInput(f.sha, f.size, progress.track(fs.createReadStream(f.path)));
      if (!stored.ok) throw new CliError(`uploading ${f.path} failed: ${stored.error.message}`, exitCodeOf(stored.error));
    }
  } finally {
    progress.stop();
  }
  return sendBytes;
}
