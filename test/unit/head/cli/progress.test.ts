import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { Progress } from '../../../../head/cli/progress.ts';

const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes(`${'/node_modules/'}cli-progress/`));

/** A stream that says it is (or is not) a terminal and keeps what was written. */
function sink(isTTY: boolean): NodeJS.WriteStream & { text: () => string } {
  let text = '';
  const w = new Writable({ write(chunk, _e, cb) { text += String(chunk); cb(); } }) as unknown as NodeJS.WriteStream & { text: () => string };
  Object.assign(w, { isTTY, columns: 100, cursorTo: () => true, clearLine: () => true, moveCursor: () => true, text: () => text });
  return w;
}

test('progress loads cli-progress only for a bar on a terminal; quiet and piped runs never load it', () => {
  const piped = sink(false);
  const quiet = new Progress('pull', 100, { quiet: true, stream: piped });
  quiet.add(50);
  quiet.stop();
  const plain = new Progress('pull', 100, { stream: piped });
  plain.add(100);
  plain.stop();
  assert.equal(loaded(), false, 'cli-progress loaded without a terminal');

  const tty = sink(true);
  const bar = new Progress('pull', 100, { stream: tty });
  bar.add(100);
  bar.stop();
  assert.equal(loaded(), true);
  assert.match(tty.text(), /pull \[.*\] 100%/);
});
