/** Which command files a command line loads: start-up pays only for the command being run. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { COMMANDS, commandsToLoad } from '../../../../head/cli/commands.ts';

const ALL = Object.keys(COMMANDS);

test('a command loads only its own file, whatever options come before or after it', () => {
  assert.deepEqual(commandsToLoad(['status']), ['status']);
  assert.deepEqual(commandsToLoad(['status', 'mybatch', '--json']), ['status']);
  assert.deepEqual(commandsToLoad(['user', 'add', 'alice']), ['user']);
  assert.deepEqual(commandsToLoad(['agent', '--help']), ['agent']);
  assert.deepEqual(commandsToLoad(['help', 'pull']), ['pull']);
});

test('a bare --version loads no command at all', () => {
  assert.deepEqual(commandsToLoad(['--version']), []);
  assert.deepEqual(commandsToLoad(['-V']), []);
});

test('the overview and unknown words load every command (help lists them, typos get a suggestion)', () => {
  assert.deepEqual(commandsToLoad([]), ALL);
  assert.deepEqual(commandsToLoad(['--help']), ALL);
  assert.deepEqual(commandsToLoad(['help']), ALL);
  assert.deepEqual(commandsToLoad(['stauts']), ALL);
  assert.deepEqual(commandsToLoad(['constructor']), ALL, 'object prototype names are not commands');
});

test('every command file registers the command it is listed under', async () => {
  for (const [name, load] of Object.entries(COMMANDS)) {
    const program = new Command();
    (await load()).register(program);
    assert.deepEqual(program.commands.map((c) => c.name()), [name]);
  }
});
