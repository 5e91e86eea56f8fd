/**
 * Relative paths from outside (result paths, pull requests): a table of accepted and refused paths
 * with the exact error, and `resolveInside` keeping every accepted path under its root.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { checkRelativePath, resolveInside } from '../../../../head/archive/safe-path.ts';

const OK_PATHS = [
  'out.txt',
  'a/b/c.dat',
  'stdout',
  'dir with spaces/file name.txt',
  'ünïcødé/名前/🚀.bin',
  '.hidden/.x',
  'a..b/...',
  `${'d'.repeat(200)}/${'f'.repeat(200)}`,
  Array.from({ length: 1000 }, () => 'abc').join('/'), // 3999 characters
];

for (const p of OK_PATHS) {
  test(`accepted: ${JSON.stringify(p.length > 40 ? `${p.slice(0, 12)}…(${p.length})` : p)}`, () => {
    assert.deepEqual(checkRelativePath(p), { ok: true, rel: p });
    const root = '/srv/archive/job';
    assert.deepEqual(resolveInside(root, p), { ok: true, rel: p, abs: path.join(root, p) });
  });
}

const seg = (p: string, reason: string) => `path '${p}': segment ${reason}`;

const REFUSED: { name: string; path: string; error: string }[] = [
  { name: 'empty', path: '', error: 'empty path' },
  { name: 'longer than 4096', path: 'a/'.repeat(2048) + 'b', error: 'path too long' },
  { name: 'absolute', path: '/etc/passwd', error: "absolute path '/etc/passwd' not allowed" },
  { name: 'root', path: '/', error: "absolute path '/' not allowed" },
  { name: 'backslash absolute', path: '\\windows\\x', error: "absolute path '\\windows\\x' not allowed" },
  { name: 'parent', path: '..', error: seg('..', "'..' is not a valid folder name") },
  { name: 'current', path: '.', error: seg('.', "'.' is not a valid folder name") },
  { name: 'leading parent', path: '../x', error: seg('../x', "'..' is not a valid folder name") },
  { name: 'parent in the middle', path: 'a/../b', error: seg('a/../b', "'..' is not a valid folder name") },
  { name: 'dot in the middle', path: 'a/./b', error: seg('a/./b', "'.' is not a valid folder name") },
  { name: 'backslash inside', path: 'a\\..\\b', error: seg('a\\..\\b', "'a\\..\\b' must not contain '/' or '\\'") },
  { name: 'empty segment', path: 'a//b', error: seg('a//b', 'must not be empty') },
  { name: 'trailing slash', path: 'a/b/', error: seg('a/b/', 'must not be empty') },
  { name: 'NUL', path: 'a/b\u0000.txt', error: seg('a/b\u0000.txt', "'b\\x00.txt' must not contain NUL or control characters") },
  { name: 'newline', path: 'x\ny', error: seg('x\ny', "'x\\x0ay' must not contain NUL or control characters") },
  { name: 'segment over 200', path: `a/${'x'.repeat(201)}`, error: seg(`a/${'x'.repeat(201)}`, 'must be at most 200 characters') },
];

for (const c of REFUSED) {
  test(`refused: ${c.name}`, () => {
    assert.deepEqual(checkRelativePath(c.path), { ok: false, error: c.error });
    // resolveInside refuses with the same message before touching the root.
    assert.deepEqual(resolveInside('/srv/archive', c.path), { ok: false, error: c.error });
  });
}

test('4096 characters is the last accepted length', () => {
  const p = 'ab/'.repeat(1365) + 'x'; // 4096
  assert.equal(p.length, 4096);
  assert.equal(checkRelativePath(p).ok, true);
  assert.deepEqual(checkRelativePath(p + 'y'), { ok: false, error: 'path too long' });
});

test('resolveInside: relative and unnormalised roots are resolved first', () => {
  assert.deepEqual(resolveInside('rel/root/../root', 'f.txt'), { ok: true, rel: 'f.txt', abs: path.resolve('rel/root/f.txt') });
  assert.deepEqual(resolveInside('/srv/archive/', 'x/y'), { ok: true, rel: 'x/y', abs: '/srv/archive/x/y' });
});

test('resolveInside: the filesystem root as root still accepts paths under it', () => {
  assert.deepEqual(resolveInside('/', 'tmp/x'), { ok: true, rel: 'tmp/x', abs: '/tmp/x' });
});
