/** `distribute template` through the real CLI entry: stdout, --output, refusal to overwrite, --force. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEMPLATES } from '../../../../shared/config/templates.ts';
import { BIN } from '../../../helpers/built.ts';

const bin = BIN;
const dir = mkdtempSync(join(tmpdir(), 'distribute-template-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [bin, ...args], { cwd: dir }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

test('template writes to stdout by default', async () => {
  const r = await run('template', 'apptainer');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, TEMPLATES.apptainer.text);
});

test('template --output writes a file, refuses to overwrite it (exit 2), and --force overwrites', async () => {
  const out = join(dir, 'jobs.yaml');
  const first = await run('template', 'python', '--output', out);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stdout, '');
  assert.equal(readFileSync(out, 'utf8'), TEMPLATES.python.text);

  writeFileSync(out, 'mine\n');
  const again = await run('template', 'shell', '-o', out);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /already exists; use --force to overwrite it/);
  assert.equal(readFileSync(out, 'utf8'), 'mine\n');

  const forced = await run('template', 'shell', '-o', out, '--force');
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(readFileSync(out, 'utf8'), TEMPLATES.shell.text);
});

test('an unknown kind or an unwritable output is bad input (exit 2)', async () => {
  const bad = await run('template', 'docker');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Allowed choices are python, apptainer, shell/);
  const unwritable = await run('template', 'python', '-o', join(dir, 'no', 'such', 'dir.yaml'));
  assert.equal(unwritable.code, 2);
  assert.match(unwritable.stderr, /cannot write/);
});
