/**
 * Names that become one folder or file name: a table of safe and unsafe names with the exact reason
 * (`unsafeNameReason`) and the same reason surfacing through the zod schema (`safeName`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unsafeLabelReason, unsafeNameReason } from '../../../shared/names.ts';
import { safeLabel, safeName } from '../../../shared/name-schemas.ts';

const SAFE = [
  'a',
  'job-1',
  'batch_2026.11',
  'with spaces inside',
  ' leading and trailing ',
  '...',
  '.hidden',
  'a..b',
  'trailing.',
  'ünïcødé-名前-🚀',
  'x'.repeat(200),
  '-starts-with-dash',
  'colon:and*star?',
];

for (const name of SAFE) {
  test(`safe: ${JSON.stringify(name.length > 40 ? `${name.slice(0, 10)}…(${name.length})` : name)}`, () => {
    assert.equal(unsafeNameReason(name), null);
    assert.deepEqual(safeName.safeParse(name), { success: true, data: name });
  });
}

const UNSAFE: { name: string; value: string; reason: string }[] = [
  { name: 'empty', value: '', reason: 'must not be empty' },
  { name: '201 characters', value: 'x'.repeat(201), reason: 'must be at most 200 characters' },
  { name: 'very long', value: 'é'.repeat(10_000), reason: 'must be at most 200 characters' },
  { name: 'dot', value: '.', reason: "'.' is not a valid folder name" },
  { name: 'dot dot', value: '..', reason: "'..' is not a valid folder name" },
  { name: 'slash', value: 'a/b', reason: "'a/b' must not contain '/' or '\\'" },
  { name: 'parent path', value: '../etc', reason: "'../etc' must not contain '/' or '\\'" },
  { name: 'absolute', value: '/etc', reason: "'/etc' must not contain '/' or '\\'" },
  { name: 'trailing slash', value: 'a/', reason: "'a/' must not contain '/' or '\\'" },
  { name: 'backslash', value: 'a\\b', reason: "'a\\b' must not contain '/' or '\\'" },
  { name: 'windows parent', value: '..\\x', reason: "'..\\x' must not contain '/' or '\\'" },
  { name: 'NUL', value: 'a\u0000b', reason: "'a\\x00b' must not contain NUL or control characters" },
  { name: 'newline', value: 'line\nbreak', reason: "'line\\x0abreak' must not contain NUL or control characters" },
  { name: 'tab', value: 'a\tb', reason: "'a\\x09b' must not contain NUL or control characters" },
  { name: 'escape sequence', value: '\u001b[31mred', reason: "'\\x1b[31mred' must not contain NUL or control characters" },
  { name: 'DEL', value: 'a\u007f', reason: "'a\\x7f' must not contain NUL or control characters" },
  { name: 'unit separator', value: '\u001f', reason: "'\\x1f' must not contain NUL or control characters" },
  { name: 'C1 control (CSI)', value: 'a\u009b31mb', reason: "'a\\x9b31mb' must not contain NUL or control characters" },
  { name: 'C1 next line', value: 'a\u0085b', reason: "'a\\x85b' must not contain NUL or control characters" },
  { name: 'bidi override', value: 'evil\u202etxt.exe', reason: "'evil\\u202etxt.exe' must not contain bidirectional override or isolate characters" },
  { name: 'bidi isolate', value: '\u2066x\u2069', reason: "'\\u2066x\\u2069' must not contain bidirectional override or isolate characters" },
  { name: 'only spaces', value: '   ', reason: "'   ' must contain something other than spaces" },
  { name: 'only no-break and ideographic spaces', value: '\u00a0\u3000', reason: "'\u00a0\u3000' must contain something other than spaces" },
  { name: 'only zero-width', value: '\u200b\ufeff', reason: "'\\u200b\\ufeff' must contain something other than spaces" },
];

for (const c of UNSAFE) {
  test(`unsafe: ${c.name}`, () => {
    assert.equal(unsafeNameReason(c.value), c.reason);
    const parsed = safeName.safeParse(c.value);
    assert.equal(parsed.success, false);
    assert.deepEqual(parsed.error?.issues.map((i) => i.message), [c.reason]);
  });
}

test('safeName rejects non-strings with zod\'s own message', () => {
  for (const value of [undefined, null, 3, ['a'], { name: 'a' }]) {
    const parsed = safeName.safeParse(value);
    assert.equal(parsed.success, false, JSON.stringify(value));
    assert.equal(parsed.error?.issues[0]?.code, 'invalid_type');
  }
});

test('safeName works inside an object schema and reports the path', async () => {
  const { z } = await import('zod');
  const parsed = z.object({ jobs: z.array(z.object({ name: safeName })) }).safeParse({ jobs: [{ name: 'ok' }, { name: '..' }] });
  assert.equal(parsed.success, false);
  assert.deepEqual(parsed.error?.issues.map((i) => [i.path, i.message]), [[['jobs', 1, 'name'], "'..' is not a valid folder name"]]);
});

test('labels (node names, owners, tags) refuse the same characters but may hold slashes', () => {
  assert.equal(unsafeLabelReason('gpu/a100'), null);
  assert.equal(unsafeLabelReason('lab pc 7'), null);
  for (const bad of ['a\nb', '\u001b[2J', '\u009b', 'x\u202ey', ' ', '']) {
    assert.notEqual(unsafeLabelReason(bad), null, JSON.stringify(bad));
    assert.equal(safeLabel.safeParse(bad).success, false);
  }
});
