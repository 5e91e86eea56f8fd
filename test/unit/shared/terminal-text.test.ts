import assert from 'node:assert/strict';
import { test } from 'node:test';
import { terminalSafe, terminalSafeLines } from '../../../shared/terminal-text.ts';

test('control, C1 and bidi characters are shown escaped; ordinary text and non-ASCII letters are kept', () => {
  assert.equal(terminalSafe('node-1'), 'node-1');
  assert.equal(terminalSafe('Grüße 東京'), 'Grüße 東京');
  assert.equal(terminalSafe('evil\x1b[2J\rnode'), 'evil\\x1b[2J\\x0dnode');
  assert.equal(terminalSafe('a\nb\tc\0'), 'a\\x0ab\\x09c\\x00');
  assert.equal(terminalSafe('x\u009by'), 'x\\x9by');
  assert.equal(terminalSafe('abc\u202egnp.exe'), 'abc\\u202egnp.exe');
  assert.equal(terminalSafe(undefined), '');
});

test('a multi-line message keeps its line breaks but nothing else', () => {
  assert.equal(terminalSafeLines('one\ntwo\x1b]0;title\x07'), 'one\ntwo\\x1b]0;title\\x07');
});
