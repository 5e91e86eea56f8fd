/** readLastLines agrees with tailLines on the whole text, for files larger than its chunk. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { readLastLines } from '../../../../head/archive/tail-file.ts';
import { tailLines } from '../../../../head/core/live-logs.ts';
import { Rng } from '../../../../chaos/rng.ts';

test('the last N lines of a file, read from its end, equal those of the whole text', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tail-file-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const rng = new Rng(7);
  const random = () => rng.next();
  const words = ['a', 'héllo', '日本語', 'x'.repeat(70_000), '', 'ünïcode'];
  for (let round = 0; round < 30; round++) {
    const lines = Array.from({ length: Math.floor(random() * 400) }, () => words[Math.floor(random() * words.length)]);
    const text = lines.join('\n') + (random() < 0.5 ? '\n' : '');
    const file = path.join(dir, `log-${round}`);
    fs.writeFileSync(file, text);
    for (const n of [0, 1, 2, 5, 37, 1000]) assert.equal(await readLastLines(file, n), tailLines(text, n), `round ${round}, n ${n}`);
  }
});

test('a missing file is null, not an error', async () => {
  assert.equal(await readLastLines(path.join(os.tmpdir(), 'no-such-log-file-here'), 3), null);
});
