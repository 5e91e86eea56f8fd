/**
 * Issue 4 benchmark: a job writes one large random file (1 GiB; 200 MiB with --quick); the real
 * agent hashes and uploads it to the real head, and the real CLI pulls it back. Peak RSS of the
 * head, the agent and the CLI is sampled from /proc while each phase runs, and the transfer rates
 * are set against `cp` of the same file on the same disk, in the same run. Temp files are removed.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { hashFile } from '../head/cli/hash-file.ts';
import { BIN, startAgentProc, startHeadProc, stop, tempDir, waitBatchEnded, type Proc } from '../test/helpers/cluster.ts';
import { addBatch, envFor, waitIdleNodes } from '../test/helpers/shell-batch.ts';
import { PeakSampler } from './proc-stats.ts';
import { fixed, mib, since, type Bench, type BenchOptions, type BenchResult } from './report.ts';

/** Run the CLI as a child we can sample; resolves with its exit code, output and peak RSS. */
function sampledCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string; peakBytes: number; ms: number }> {
  return new Promise((resolve) => {
    const start = performance.now();
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const sampler = new PeakSampler(child.pid!, 20);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('exit', (code) => {
      const ms = since(start);
      sampler.stop();
      // The last good reading's VmHWM is the process's lifetime peak up to ≤ 20 ms before exit.
      resolve({ code, stdout, stderr, ms, peakBytes: Math.max(sampler.peakRss, sampler.last?.hwmBytes ?? 0) });
    });
  });
}

/** `sync`: every dirty page written back before the next timed step. */
const syncDisk = () => new Promise<void>((resolve, reject) => {
  spawn('sync', { stdio: 'ignore' }).on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`sync exited ${code}`))));
});

const rate = (bytes: number, ms: number) => `${fixed(bytes / 1024 ** 2 / (ms / 1000), 0)} MiB/s`;

export async function run(opts: BenchOptions): Promise<BenchResult> {
  const size = (opts.quick ? 200 : 1024) * 1024 ** 2;
  const dir = tempDir('bench-large');
  const head = await startHeadProc(path.join(dir, 'head'), { nodeTimeout: '30s' });
  const env = envFor(head);
  let agent: Proc | null = null;
  try {
    agent = startAgentProc(head, 'big', path.join(dir, 'agent'));
    await waitIdleNodes(head, 1, 30_000);
    const headMem = new PeakSampler(head.child.pid!);
    const agentMem = new PeakSampler(agent.child.pid!);
    headMem.mark();
    agentMem.mark();

    const config = path.join(dir, 'big.yaml');
    fs.writeFileSync(config, [
      'meta:', '  batch_name: bigfile', '  namespace: bench', '  capabilities: []', 'shell:', '  jobs:',
      `    - { name: big, command: "head -c ${size} /dev/urandom > distribute_save/big.bin" }`, '',
    ].join('\n'));
    opts.log(`large-file: a job writes ${mib(size)}; the agent uploads it`);
    const { id } = await addBatch(head, config);
    const batch = await waitBatchEnded(head, id, 900_000);
    const job = batch.jobs[0];
    if (job.outcome !== 'succeeded') throw new Error(`job ended ${JSON.stringify(job.result)}`);
    // From the job's exit to the archived result: the agent hashes and uploads, the head hashes,
    // stores and commits. Head timestamps and agent timestamps share this machine's clock.
    const uploadMs = batch.endedAt - job.endedAt;
    const headUpload = headMem.peak();
    const agentUpload = agentMem.peak();

    const archived = path.join(head.dataDir, 'archive', 'bench', 'bigfile', 'big', 'big.bin');
    if (fs.statSync(archived).size !== size) throw new Error('archived file has the wrong size');
    headMem.mark();
    opts.log('large-file: the CLI pulls it');
    // The job and the upload just wrote 2 GiB: let the kernel write them back first, so the pull
    // (and cp below) are not throttled for dirty pages of the step before (docs/benchmarks.md).
    await syncDisk();
    const out = path.join(dir, 'pulled');
    const pulled = await sampledCli(['pull', config, '--out', out, '--json'], env);
    if (pulled.code !== 0) throw new Error(`pull failed: ${pulled.stderr}`);
    const headPull = headMem.peak();
    const idleCli = await sampledCli(['status', '--json'], env); // the CLI's own footprint, for comparison
    headMem.stop();
    agentMem.stop();
    const local = path.join(out, 'bench', 'bigfile', 'big', 'big.bin'); // pull writes <out>/<namespace>/<batch>/<job>/
    opts.log('large-file: checking the pulled file and timing cp');
    const [a, b] = await Promise.all([hashFile(archived), hashFile(local)]);
    if (a.sha256 !== b.sha256) throw new Error('pulled file differs from the archived one');
    fs.rmSync(local);
    await syncDisk();
    const cpStart = performance.now();
    await new Promise<void>((resolve, reject) => {
      spawn('cp', [archived, path.join(dir, 'cp-copy.bin')], { stdio: 'ignore' }).on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`cp exited ${code}`))));
    });
    const cpMs = since(cpStart);
    fs.rmSync(path.join(dir, 'cp-copy.bin'));
    const hashStart = performance.now();
    await hashFile(archived);
    const hashMs = since(hashStart);
    // The floor of one pass: sha256 of bytes already in memory, on one core.
    const block = crypto.randomBytes(1 << 20);
    const memStart = performance.now();
    const memHash = crypto.createHash('sha256');
    for (let done = 0; done < size; done += block.length) memHash.update(block);
    memHash.digest();
    const memHashMs = since(memStart);

    const rows = [
      ['measure', 'value'],
      ['file (random bytes)', mib(size)],
      ['job run time (generate with head -c /dev/urandom)', `${fixed(job.runMs / 1000, 2)} s`],
      ['upload: job exit → archived (agent hash + HTTP PUT + head hash, commit)', `${fixed(uploadMs / 1000, 2)} s, ${rate(size, uploadMs)}`],
      ['pull: CLI start → file verified on disk (sha256)', `${fixed(pulled.ms / 1000, 2)} s, ${rate(size, pulled.ms)}`],
      ['plain `cp` of the same file (same disk, warm cache)', `${fixed(cpMs / 1000, 2)} s, ${rate(size, cpMs)}`],
      ['one sha256 pass in Node (for scale)', `${fixed(hashMs / 1000, 2)} s, ${rate(size, hashMs)}`],
      ['sha256 of the same bytes already in memory (one core)', `${fixed(memHashMs / 1000, 2)} s, ${rate(size, memHashMs)}`],
      ['upload / cp, pull / cp (time ratio)', `${fixed(uploadMs / cpMs, 1)}× / ${fixed(pulled.ms / cpMs, 1)}×`],
      ['head peak RSS during upload (rise over idle)', `${mib(headUpload.peakBytes)} (+${mib(headUpload.growthBytes)})`],
      ['head peak RSS during pull (rise over idle)', `${mib(headPull.peakBytes)} (+${mib(headPull.growthBytes)})`],
      ['agent peak RSS during job + upload (rise over idle)', `${mib(agentUpload.peakBytes)} (+${mib(agentUpload.growthBytes)})`],
      ['CLI peak RSS during pull (whole process; `status` for comparison)', `${mib(pulled.peakBytes)} (status: ${mib(idleCli.peakBytes)})`],
    ];
    return {
      title: `Large file: ${mib(size)} result uploaded by an agent and pulled by the CLI`,
      table: rows,
      notes: [
        'Real processes on loopback: `distribute server`, one `distribute agent`, `distribute pull`; a shell batch (no python).',
        'RSS is VmHWM/VmRSS from /proc: VmHWM is reset (clear_refs) at the start of each phase and polled every 50 ms (20 ms for the CLI), so the peaks are exact per phase; "rise over idle" is the peak minus the RSS at the phase start.',
        'The agent\'s RSS excludes the job process itself (`head -c`). The CLI figure is its whole life (the compiled CLI, Node\'s start-up included).',
        'The pull and `cp` each start after `sync`: the job and the upload write 2 GiB just before, and the kernel throttles a writer while that many pages wait for the disk (a pull measured 1.7 s of its time in writes then). The upload is timed from the job\'s exit, right after the job wrote its file, as it happens.',
        '`cp` (coreutils 9, ext4: copy_file_range, no reflink) copies within the page cache here, so it is the upper bound of a local copy; upload and pull each hash the data on both ends (sha256) and pass it through loopback HTTP.',
        `0.5× \`cp\` means at most ${fixed((2 * cpMs) / 1000, 2)} s. An upload hashes every byte twice (agent and head: ${fixed((2 * memHashMs) / 1000, 2)} s of CPU at the in-memory rate) and a pull once (${fixed(memHashMs / 1000, 2)} s), on top of moving the bytes through loopback TCP and the page cache on the same 2 cores (docs/benchmarks.md: "Why 0.5× \`cp\` cannot be reached").`,
      ],
    };
  } finally {
    if (agent) await stop(agent);
    await stop(head);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export const bench: Bench = { name: 'large-file', run };
