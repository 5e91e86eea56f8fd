/**
 * The per-job file-system work of the archive on its own, for judging the head's CPU per job in
 * the scheduler-scale benchmark: the same calls the head makes for one simulated job (the result
 * file written into the run's staging folder: `stageInline` for a file sent inside job-finished,
 * or with `upload` the upload route's `receiveFile` and `noteReceived`; then `checkStaged` and
 * `commit` into the archive), on the same disk, 50 jobs at a time, without HTTP, WebSocket,
 * scheduling or store. Its CPU time is the part of the head's that the archive layout (a folder
 * per job holding its files and `_distribute/result.json`, renamed into place whole) costs.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Archive } from '../head/archive/archive.ts';
import { receiveFile } from '../head/archive/receive-file.ts';

export interface FloorResult { cpuSeconds: number; userSeconds: number; systemSeconds: number }

/** Run `jobs` simulated jobs' archive work in a fresh data folder under `dir` and measure this process's CPU. */
export async function archiveFloor(jobs: number, dir: string, opts: { upload?: boolean; concurrency?: number } = {}): Promise<FloorResult> {
  const concurrency = opts.concurrency ?? 50;
  const data = fs.mkdtempSync(path.join(dir, 'floor-'));
  const archive = new Archive(data);
  await archive.init();
  const batchId = 'floorbatch';
  const cpu0 = process.cpuUsage();
  let next = 0;
  const one = async (i: number) => {
    const job = `j${i}`;
    const runId = `r${crypto.randomBytes(12).toString('hex')}`;
    const body = Buffer.from(`result of ${job} on sim-00\n`);
    const sha256 = crypto.createHash('sha256').update(body).digest('hex');
    const files = [{ path: 'out.txt', size: body.length, sha256 }];
    let fresh: ReadonlySet<string> | null = null;
    if (opts.upload) {
      const target = archive.stagingFile(batchId, runId, 'out.txt');
      if (!target.ok || !target.abs) throw new Error('bad staging path');
      const got = await receiveFile(Readable.from([body]), target.abs, { expectedSha256: () => sha256 });
      if (!got.ok) throw new Error(got.error);
      await archive.noteReceived(target.abs, got.sha256);
    } else {
      const staged = archive.stageInline(batchId, runId, files, [{ path: 'out.txt', data: body.toString('base64') }]);
      if (staged.refused.length) throw new Error(`inline file refused: ${staged.refused.join(',')}`);
      fresh = staged.fresh;
    }
    const checked = await archive.checkStaged(batchId, runId, files, fresh);
    if (checked.missing.length) throw new Error(`missing ${checked.missing.join(',')}`);
    await archive.commit({
      batchId, namespace: 'bench', batch: 'floor', job, runId, attempt: 1, node: 'sim-00',
      result: { outcome: 'succeeded', exitCode: 0 }, startedAt: 1, endedAt: 2, runMs: 1, files, bytes: body.length,
    }, fresh);
  };
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < jobs) await one(next++);
  }));
  const cpu = process.cpuUsage(cpu0);
  fs.rmSync(data, { recursive: true, force: true });
  return { cpuSeconds: (cpu.user + cpu.system) / 1e6, userSeconds: cpu.user / 1e6, systemSeconds: cpu.system / 1e6 };
}
