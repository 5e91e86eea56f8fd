import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { selfCommand } from '../../../../head/cli/self-command.ts';

test('selfCommand: `distribute` when that name on the PATH is this script, else node and its real path', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'self-command-'));
  try {
    const script = path.join(dir, 'pkg', 'bin', 'distribute.js');
    fs.mkdirSync(path.dirname(script), { recursive: true });
    fs.writeFileSync(script, '');
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    assert.equal(selfCommand(script, bin), `node ${fs.realpathSync(script)}`);
    fs.symlinkSync(script, path.join(bin, 'distribute'));
    assert.equal(selfCommand(path.join(bin, 'distribute'), `/nonexistent${path.delimiter}${bin}`), 'distribute');
    assert.equal(selfCommand(script, bin), 'distribute');
    // Another installation's `distribute` on the PATH is not this one.
    assert.equal(selfCommand(script, '/usr/bin'), `node ${fs.realpathSync(script)}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
