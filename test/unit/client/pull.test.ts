import assert from 'node:assert/strict';
import { test } from 'node:test';
import { wanted, type Rule } from '../../../client/pull.ts';

test('pull rules: the first matching rule decides; with no match, include mode skips', () => {
  const inc = (p: string): Rule => ({ kind: 'include', pattern: new RegExp(p) });
  const exc = (p: string): Rule => ({ kind: 'exclude', pattern: new RegExp(p) });
  const table: [Rule[], string, boolean][] = [
    [[], 'b/j/f.txt', true],
    [[inc('\\.txt$')], 'b/j/f.txt', true],
    [[inc('\\.txt$')], 'b/j/f.bin', false],
    [[exc('\\.txt$')], 'b/j/f.txt', false],
    [[exc('\\.txt$')], 'b/j/f.bin', true],
    [[inc('f'), exc('txt')], 'b/j/f.txt', true],
    [[exc('txt'), inc('f')], 'b/j/f.txt', false],
    [[exc('txt'), inc('f')], 'b/j/g.bin', false],
  ];
  for (const [rules, key, expected] of table) assert.equal(wanted(key, rules), expected, `${rules.map((r) => `${r.kind}:${r.pattern}`)} ${key}`);
});
