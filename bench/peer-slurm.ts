/**
 * The SLURM peer of bench/peers.ts: N `sh -c true` jobs as one job array limited to 2 at a time on
 * a single-node cluster. Uses a cluster that already answers; otherwise, as root, brings one up
 * with slurm-local-up.sh (shared/slurm next to the repo, or $SLURM_LOCAL_DIR) and stops it after
 * with slurm-local-down.sh, which stops only the daemons that up started. Skips with a reason.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../test/helpers/cluster.ts';
import { since } from './report.ts';

const exec = promisify(execFile);

async function out(file: string, args: string[], timeoutMs = 30_000): Promise<string> {
  return (await exec(file, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 ** 2 })).stdout;
}

/** True when `sinfo` answers with at least one usable node. */
async function answering(): Promise<boolean> {
  try {
    return /idle|mix|alloc/.test(await out('sinfo', ['-h', '-o', '%t'], 10_000));
  } catch {
    return false;
  }
}

function scriptsDir(): string | null {
  const candidates = [process.env.SLURM_LOCAL_DIR, path.resolve(ROOT, '../shared/slurm'), path.resolve(ROOT, '../../shared/slurm')];
  return candidates.find((d) => d && fs.existsSync(path.join(d, 'slurm-local-up.sh'))) ?? null;
}

/** Wall ms of the array (or null when skipped) and notes saying how it ran or why not. */
export async function runSlurm(n: number, dir: string, log: (l: string) => void): Promise<{ ms: number | null; notes: string[] }> {
  let started: string | null = null;
  if (!(await answering())) {
    const scripts = scriptsDir();
    if (process.getuid?.() !== 0) return { ms: null, notes: ['SLURM skipped: no cluster answers `sinfo` and this is not root (slurm-local-up.sh needs root).'] };
    if (!scripts) return { ms: null, notes: ['SLURM skipped: no cluster answers and slurm-local-up.sh was not found (set SLURM_LOCAL_DIR).'] };
    log('peers: starting a local SLURM with slurm-local-up.sh');
    try {
      await out('bash', [path.join(scripts, 'slurm-local-up.sh')], 600_000);
      started = scripts;
    } catch (err) {
      return { ms: null, notes: [`SLURM skipped: slurm-local-up.sh failed: ${(err as Error).message.split('\n').slice(0, 3).join(' ')}`] };
    }
  }
  try {
    const version = (await out('sinfo', ['-V'])).trim();
    const start = performance.now();
    const id = (await out('sbatch', ['--parsable', `--array=0-${n - 1}%2`, '-c', '1', '-o', '/dev/null', '-e', '/dev/null', `--chdir=${dir}`, '--wrap', 'sh -c true'])).trim().split(';')[0];
    for (;;) {
      const left = (await out('squeue', ['-h', '-j', id, '-o', '%T'])).trim();
      if (!left) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const ms = since(start);
    const states = (await out('squeue', ['-h', '-r', '-t', 'all', '-j', id, '-o', '%T'])).trim().split('\n');
    const done = states.filter((s) => s === 'COMPLETED').length;
    return {
      ms,
      notes: [`SLURM: ${version}, one node, ${started ? 'brought up by slurm-local-up.sh (throughput-tuned defaults) and stopped after' : 'the cluster already running here'}; \`sbatch --array=0-${n - 1}%2 --wrap "sh -c true"\` (one submission), squeue polled every 100 ms until empty; ${done} of ${n} array tasks seen COMPLETED.`],
    };
  } catch (err) {
    return { ms: null, notes: [`SLURM failed: ${(err as Error).message.split('\n')[0]}`] };
  } finally {
    if (started) {
      log('peers: stopping the local SLURM');
      await out('bash', [path.join(started, 'slurm-local-down.sh')], 120_000).catch((err) => log(`slurm-local-down.sh failed: ${(err as Error).message}`));
    }
  }
}
