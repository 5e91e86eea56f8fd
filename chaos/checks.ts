/**
 * What a chaos run must leave behind: every job archived exactly once with the contents and
 * stdout its command wrote, a pull byte-identical to the archive, no job process left running, no
 * stack trace in any output, and state files that parse.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { listFiles } from '../test/helpers/cluster.ts';

export interface Check { name: string; ok: boolean; detail: string }

/** What job `name` writes: its result file, a larger blob, and one stdout line. */
export interface Expected { out: string; blobBytes: number; stdout: string }

const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

/** The archive holds each job once, complete, with the files and stdout its command wrote. */
export function checkArchive(batchDir: string, expected: Map<string, Expected>, blob: (job: string, bytes: number) => Buffer): Check {
  const problems: string[] = [];
  const dirs = fs.existsSync(batchDir) ? fs.readdirSync(batchDir) : [];
  const extra = dirs.filter((d) => !expected.has(d));
  if (extra.length) problems.push(`unexpected folders: ${extra.join(', ')}`);
  for (const [job, want] of expected) {
    const dir = path.join(batchDir, job);
    let meta: { job: string; files: { path: string; size: number; sha256: string }[] };
    try {
      meta = JSON.parse(fs.readFileSync(path.join(dir, '_distribute/result.json'), 'utf8'));
    } catch (err) {
      problems.push(`${job}: no readable result.json (${(err as Error).message})`);
      continue;
    }
    const listed = new Set(meta.files.map((f) => f.path));
    const onDisk = listFiles(dir).filter((f) => f !== '_distribute/result.json');
    const stray = onDisk.filter((f) => !listed.has(f));
    if (stray.length) problems.push(`${job}: files not in result.json: ${stray.join(', ')}`);
    for (const f of meta.files) {
      const p = path.join(dir, f.path);
      if (!fs.existsSync(p)) { problems.push(`${job}: ${f.path} missing`); continue; }
      const bytes = fs.readFileSync(p);
      if (bytes.length !== f.size || sha256(bytes) !== f.sha256) problems.push(`${job}: ${f.path} does not match its sha256 in result.json`);
    }
    const read = (rel: string) => (fs.existsSync(path.join(dir, rel)) ? fs.readFileSync(path.join(dir, rel)) : null);
    if (read('out.txt')?.toString() !== want.out) problems.push(`${job}: out.txt differs from what the job wrote`);
    if (read('_distribute/stdout.log')?.toString() !== want.stdout) problems.push(`${job}: stdout.log ${JSON.stringify(read('_distribute/stdout.log')?.toString().slice(0, 80))} differs from the job's stdout`);
    if (!read('blob.bin')?.equals(blob(job, want.blobBytes))) problems.push(`${job}: blob.bin differs from what the job wrote`);
  }
  return { name: 'archived exactly once, contents and stdout agree', ok: problems.length === 0, detail: problems.length ? problems.slice(0, 10).join('; ') : `${expected.size} jobs` };
}

/** `pull` wrote the same files, byte for byte, as the archive holds. */
export function checkPull(batchDir: string, pulledDir: string): Check {
  const a = listFiles(batchDir);
  const b = listFiles(pulledDir);
  const problems: string[] = [];
  if (a.join('\n') !== b.join('\n')) problems.push(`file lists differ (${a.length} archived, ${b.length} pulled)`);
  for (const f of a) {
    const p = path.join(pulledDir, f);
    if (fs.existsSync(p) && !fs.readFileSync(p).equals(fs.readFileSync(path.join(batchDir, f)))) problems.push(`${f} differs`);
  }
  return { name: 'pull byte-identical to the archive', ok: problems.length === 0, detail: problems.length ? problems.slice(0, 5).join('; ') : `${a.length} files` };
}

/** No stack trace in any process output (a crash or an unhandled error). */
export function checkOutputs(outputs: { label: string; text: string }[]): Check {
  const bad = outputs.filter((o) => /^\s+at .+:\d+:\d+\)?$/m.test(o.text) || /Unhandled|uncaught/i.test(o.text));
  return {
    name: 'no stack traces in any output', ok: bad.length === 0,
    detail: bad.length ? bad.map((o) => `${o.label}: ${(/^.*\n(\s+at .*)$/m.exec(o.text)?.[0] ?? o.text.slice(-300)).trim()}`).slice(0, 3).join(' | ') : `${outputs.length} process outputs`,
  };
}

/** Every JSON file the head and the agents keep parses. */
export function checkStateFiles(dirs: string[]): Check {
  const bad: string[] = [];
  let count = 0;
  for (const dir of dirs) {
    for (const rel of listFiles(dir)) {
      if (!rel.endsWith('.json') || rel.includes('/runs/')) continue;
      count++;
      try {
        JSON.parse(fs.readFileSync(path.join(dir, rel), 'utf8'));
      } catch (err) {
        bad.push(`${path.join(dir, rel)}: ${(err as Error).message}`);
      }
    }
  }
  return { name: 'state files parse', ok: bad.length === 0, detail: bad.length ? bad.slice(0, 5).join('; ') : `${count} files` };
}
