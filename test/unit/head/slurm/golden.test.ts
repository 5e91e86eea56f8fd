/**
 * Golden files: the generated folder of each config in GOLDEN_CASES is compared with
 * test/fixtures/slurm-golden/<case>/. Text files are stored as generated; MANIFEST.txt lists every
 * file with its mode (copied inputs as `<- source`). Regenerate with UPDATE_GOLDEN=1 and review
 * the diff.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transpileSlurm, type OutFile } from '../../../../head/slurm/transpile.ts';
import { GOLDEN_CASES } from './cases.ts';

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), '../../../fixtures/slurm-golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

function manifest(files: OutFile[]): string {
  return files
    .map((f) => `${f.mode.toString(8)} ${f.path}${'copyFrom' in f ? ` <- ${f.copyFrom}` : ''}`)
    .sort()
    .join('\n') + '\n';
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

for (const c of GOLDEN_CASES) {
  test(`golden: ${c.name}`, () => {
    const result = transpileSlurm(c.config, c.options);
    assert.ok(result.ok, `transpile failed: ${JSON.stringify(!result.ok && result.problems)}`);
    const texts = new Map<string, string>([['MANIFEST.txt', manifest(result.plan.files)]]);
    for (const f of result.plan.files) if ('content' in f) texts.set(f.path, f.content);
    const dir = join(GOLDEN, c.name);
    if (UPDATE) {
      rmSync(dir, { recursive: true, force: true });
      for (const [path, content] of texts) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), content);
      }
    }
    assert.ok(existsSync(dir), `no golden folder ${dir}; run with UPDATE_GOLDEN=1 to create it`);
    assert.deepEqual(listFiles(dir), [...texts.keys()].sort(), 'golden files differ from generated files');
    for (const [path, content] of texts) {
      assert.equal(content, readFileSync(join(dir, path), 'utf8'), `${c.name}/${path} differs from its golden file (UPDATE_GOLDEN=1 regenerates)`);
    }
  });
}
