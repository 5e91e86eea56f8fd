/** The front door's own reading of simple command lines must be commander's reading, or decline. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command, CommanderError } from 'commander';
import { COMMANDS } from '../../../../head/cli/commands.ts';
import { quickArgs, type QuickCommand } from '../../../../head/cli/quick-args.ts';

/** What commander hands the command's action for `argv`, or the usage error it stops with. */
async function viaCommander(name: string, argv: string[]): Promise<{ args: unknown[]; opts: Record<string, unknown> } | 'error'> {
  const program = new Command().exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  (await COMMANDS[name]()).register(program);
  let seen: { args: unknown[]; opts: Record<string, unknown> } | null = null;
  const cmd = program.commands.find((c) => c.name() === name)!;
  cmd.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  cmd.action((...a: unknown[]) => {
    const opts = a[a.length - 2] as Record<string, unknown>;
    seen = { args: a.slice(0, -2).filter((x) => x !== undefined), opts: { ...opts } };
  });
  try {
    await program.parseAsync(['node', 'distribute', name, ...argv]);
  } catch (err) {
    if (err instanceof CommanderError) return 'error';
    throw err;
  }
  return seen ?? 'error';
}

const LINES: string[][] = [
  [], ['b1'], ['--json'], ['b1', '--json'], ['--json', 'b1'], ['--head', 'http://h:1'], ['--head=http://h:1', '--json'],
  ['--head='], ['--token', 't', '--token-file', '/f', '--data', '/d', '--ca', '/ca.pem'], ['--token-file=/f', 'ns/b'],
  // Declined by the quick reading (commander decides: help, errors, odd forms):
  ['--help'], ['-h'], ['--bogus'], ['b1', 'b2'], ['--json', '--json'], ['--head'], ['--head', '--json'], ['--json=1'],
  ['--', 'b1'], ['-'], ['--head', 'a', '--head', 'b'], ['help'],
];

/** Lines for the commands that take one required word and options of their own (add, wait). */
const ONE_WORD_LINES: string[][] = [
  ['c.yaml', '--dry-run'], ['c.yaml', '--replace', '--json'], ['--dry-run', 'c.yaml', '--json'], ['x', '--interval', '0.5'],
  ['x', '--interval=2', '--timeout', '1m', '--json'], ['--timeout', '30s', 'ns/b'], ['x', '--interval'], ['--interval', '--json', 'x'],
];

for (const [name, minQuick] of [['status', 9], ['add', 8], ['wait', 7]] as const) {
  test(`whenever the quick reading of a ${name} command line succeeds, commander reads it the same way`, async () => {
    const { quick } = await COMMANDS[name]();
    assert.ok(quick, `${name} has a quick path`);
    let quickOnes = 0;
    for (const argv of [...LINES, ...ONE_WORD_LINES]) {
      const q = quickArgs(quick.options, quick.maxArgs, argv, quick.minArgs);
      if (!q) continue;
      quickOnes++;
      const c = await viaCommander(name, argv);
      assert.notEqual(c, 'error', `${argv.join(' ')}: the quick path accepts what commander refuses`);
      assert.deepEqual(q, c, `${argv.join(' ')}: same words and options`);
    }
    assert.ok(quickOnes >= minQuick, `${quickOnes} command lines taken by the quick path`);
  });
}

test('a missing required word is left to commander (its usage error); defaults fill options not given', () => {
  const options = [{ flags: '--interval <s>', description: '', default: '1' }, { flags: '--json', description: '' }];
  assert.equal(quickArgs(options, 1, [], 1), null);
  assert.equal(quickArgs(options, 1, ['--json'], 1), null);
  assert.deepEqual(quickArgs(options, 1, ['b'], 1), { args: ['b'], opts: { interval: '1' } });
  assert.deepEqual(quickArgs(options, 1, ['b', '--interval=3', '--json'], 1), { args: ['b'], opts: { interval: '3', json: true } });
});

test('help, unknown, repeated or valueless options, `--` and extra words are left to commander', () => {
  const quick: QuickCommand = { options: [{ flags: '--head <url>', description: '' }, { flags: '--json', description: '' }], maxArgs: 1, run: async () => {} };
  for (const argv of [['--help'], ['-h'], ['--bogus'], ['a', 'b'], ['--json', '--json'], ['--head'], ['--head', '--json'], ['--json=1'], ['--', 'a'], ['-x']]) {
    assert.equal(quickArgs(quick.options, quick.maxArgs, argv), null, argv.join(' '));
  }
  assert.deepEqual(quickArgs(quick.options, quick.maxArgs, ['a', '--head', 'h', '--json']), { args: ['a'], opts: { head: 'h', json: true } });
});

test('only options in commander\'s --long and --long <value> forms can be read quickly', () => {
  assert.throws(() => quickArgs([{ flags: '-j, --json', description: '' }], 0, []), /unsupported flags '-j, --json'/);
});
