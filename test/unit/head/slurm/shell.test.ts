import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { CORES_SENTINEL, placeholder, renderCommand, renderWord, shellQuote } from '../../../../head/slurm/shell.ts';

/** What bash makes of `words` (each printed on its own line), with JOB_DIR and CORES set. */
function bashWords(words: string): string[] {
  const out = execFileSync('/bin/bash', ['-c', `printf '%s\\n' ${words}`], {
    env: { PATH: process.env.PATH, JOB_DIR: '/r/jobs/a b', CORES: '6' }, encoding: 'utf8',
  });
  return out.split('\n').slice(0, -1);
}

const tricky = ["it's", 'a b', '$HOME', '`id`', '"q"', 'back\\slash', '*', '', "''", 'x;rm -rf /', 'ünï', "'lead", "trail'", '@@NOT_A_VAR'];

test('shellQuote: bash reads every quoted string back unchanged', () => {
  for (const s of tricky) assert.deepEqual(bashWords(shellQuote(s)), [s], `round trip of ${JSON.stringify(s)}`);
});

test('shellQuote leaves plain words bare', () => {
  assert.equal(shellQuote('run.py'), 'run.py');
  assert.equal(shellQuote('a b'), "'a b'");
});

test('renderWord splices run-time variables into quoted text', () => {
  const arg = `${placeholder('JOB_DIR')}/input:/input:rw,${placeholder('JOB_DIR')}/it's:/x`;
  assert.deepEqual(bashWords(renderWord(arg)), ["/r/jobs/a b/input:/input:rw,/r/jobs/a b/it's:/x"]);
  assert.deepEqual(bashWords(renderWord(`'${placeholder('JOB_DIR')}'`)), ["'/r/jobs/a b'"]);
  assert.deepEqual(bashWords(renderWord(placeholder('JOB_DIR'))), ['/r/jobs/a b']);
});

test('renderCommand turns the cores sentinel into "$CORES" and keeps other numbers', () => {
  const line = renderCommand({ file: 'python3', args: ["my job's.py", String(CORES_SENTINEL), '12'] });
  assert.equal(line, `python3 'my job'\\''s.py' "$CORES" 12`);
  assert.deepEqual(bashWords(line), ['python3', "my job's.py", '6', '12']);
});
