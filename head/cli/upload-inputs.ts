/**
 * Uploading a batch's input files to the head, streamed with a progress bar: `add` sends those the
 * head lacks, `retry --config` those it deleted after the batch ended.
 */
import fs from 'node:fs';
import { routes, SHA256_HEADER } from '../../shared/api/routes.ts';
import { terminalSafe } from '../../shared/terminal-text.ts';
import { CliError, EXIT, type HeadClient } from './client.ts';
import { Progress } from './progress.ts';

export interface LocalInput { sha: string; path: string; size: number }

/** PUT each file to the head (which checks its sha256); throws a CliError naming the file that failed. */
export async function uploadInputs(client: HeadClient, files: LocalInput[], opts: { quiet?: boolean } = {}): Promise<number> {
  const sendBytes = files.reduce((a, f) => a + f.size, 0);
  const progress = new Progress('upload', sendBytes, { quiet: opts.quiet });
  try {
    for (const f of files) {
      const res = await client.fetch(routes.input(f.sha), {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(f.size), [SHA256_HEADER]: f.sha },
        body: progress.track(fs.createReadStream(f.path)) as unknown as BodyInit,
        duplex: 'half',
      } as RequestInit);
      if (!res.ok) {
        const text = await res.text();
        throw new CliError(`uploading ${f.path} failed: ${terminalSafe(safeError(text) ?? `HTTP ${res.status}`)}`, EXIT.failed);
      }
    }
  } finally {
    progress.stop();
  }
  return sendBytes;
}

/** The `error` of a JSON error body, else the start of the text. */
export function safeError(text: string): string | undefined {
  try {
    return (JSON.parse(text) as { error?: string }).error;
  } catch {
    return text.slice(0, 200) || undefined;
  }
}
