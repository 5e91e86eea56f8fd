/** Turning a finished process into a job result and a human sentence, and reading log tails. */
import fs from 'node:fs/promises';
import type { JobResult } from '../../../shared/job/state.ts';
import type { JobExit } from './job-process.ts';

export function toResult(exit: JobExit): JobResult {
  if (exit.kind === 'exited') return exit.code === 0 ? { outcome: 'succeeded', exitCode: 0 } : { outcome: 'failed', exitCode: exit.code };
  if (exit.kind === 'signaled') return { outcome: 'killed', signal: exit.signal };
  return { outcome: 'spawn-failed', message: exit.message };
}

export function describeExit(exit: JobExit): string {
  if (exit.kind === 'exited') return `exited with code ${exit.code}`;
  if (exit.kind === 'signaled') return `was killed by ${exit.signal}`;
  return `could not start: ${exit.message}`;
}

/** The last `bytes` characters of a text file ('' when it does not exist). */
export async function readTail(file: string, bytes = 4000): Promise<string> {
  try {
    const text = await fs.readFile(file, 'utf8');
    return text.slice(-bytes);
  } catch {
    return '';
  }
}
