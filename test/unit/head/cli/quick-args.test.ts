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

test('whenever the quick reading of a status command line succeeds, commander reads it the same way', async () => {
  const { quick } = await COMMANDS.status();
  assert.ok(quick, 'status has a quick path');
  let quickOnes = 0;
  for (const argv of LINES) {
    const q = quickArgs(quick.options, quick.maxArgs, argv);
    if (!q) continue;
    quickOnes++;
    const c = await viaCommander('status', argv);
    assert.notEqual(c, 'error', `${argv.join(' ')}: the quick path accepts what commander refuses`);
    assert.deepEqual(q, c, `${argv.join(' ')}: same words and options`);
  }
  assert.ok(quickOnes >= 9, `${quickOnes} command lines taken by the quick path`);
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
