import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileTail } from '../../../../../electron/agent/runner/file-tail.ts';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'file-tail-'));
/**
 * How many of this process's descriptors are open on `file` (the process's own count of open
 * descriptors moves with the test runner and V8's threads, so only this file's are counted).
 */
const openOn = (file: string) => fs.readdirSync('/proc/self/fd').filter((fd) => {
  try {
    return fs.readlinkSync(`/proc/self/fd/${fd}`) === fs.realpathSync(file);
  } catch {
    return false; // closed meanwhile (the listing's own descriptor, among others)
  }
}).length;

test('FileTail: a file created late, a character split across writes, and the text from the start offset only', async () => {
  const dir = tmp();
  const file = path.join(dir, 'stdout.log');
  let got = '';
  const tail = new FileTail(file, 0, (t) => { got += t; });
  await tail.poll(); // not there yet: nothing, no error
  const euro = Buffer.from('€');
  fs.writeFileSync(file, Buffer.concat([Buffer.from('a'), euro.subarray(0, 1)]));
  await tail.poll();
  assert.equal(got, 'a', 'half a character is held back');
  fs.appendFileSync(file, Buffer.concat([euro.subarray(1), Buffer.from('b\n')]));
  await tail.stop();
  assert.equal(got, 'a€b\n');

  let later = '';
  const from = fs.statSync(file).size;
  fs.appendFileSync(file, 'new');
  const second = new FileTail(file, from, (t) => { later += t; });
  await second.stop();
  assert.equal(later, 'new');
  fs.rmSync(dir, { recursive: true });
});

test('FileTail: output larger than one read arrives whole and in order, and stop() closes the file', async () => {
  const dir = tmp();
  const file = path.join(dir, 'stdout.log');
  const lines = Array.from({ length: 60_000 }, (_, i) => `line ${i} ${'x'.repeat(40)}\n`).join('');
  fs.writeFileSync(file, lines);
  let got = '';
  let calls = 0;
  const tail = new FileTail(file, 0, (t) => { got += t; calls++; });
  tail.start(10);
  await tail.poll();
  assert.equal(openOn(file), 1, 'the file is open while followed');
  fs.appendFileSync(file, 'tail end\n');
  await tail.stop();
  assert.equal(got, `${lines}tail end\n`);
  assert.ok(calls > 1, 'read in several chunks');
  assert.equal(openOn(file), 0, 'closed by stop()');
  await tail.stop(); // twice is harmless
  fs.rmSync(dir, { recursive: true });
});

test('FileTail: an empty log is never opened; text appended later still arrives', async () => {
  const dir = tmp();
  const file = path.join(dir, 'stderr.log');
  fs.writeFileSync(file, '');
  let got = '';
  const tail = new FileTail(file, 0, (t) => { got += t; });
  await tail.poll();
  assert.equal(openOn(file), 0, 'nothing to read: not opened');
  fs.appendFileSync(file, 'late\n');
  await tail.poll();
  assert.equal(got, 'late\n');
  assert.equal(openOn(file), 1);
  await tail.stop();
  assert.equal(openOn(file), 0);

  // A short job's tails end on one stat: nothing to read (an empty log, or none at all), nothing
  // delivered, nothing opened; a second stop is harmless.
  const quiet = path.join(dir, 'quiet.log');
  fs.writeFileSync(quiet, '');
  const never: string[] = [];
  const tails = [new FileTail(quiet, 0, (t) => never.push(t)), new FileTail(path.join(dir, 'none.log'), 0, (t) => never.push(t))];
  for (const t of tails) t.start(10_000);
  await Promise.all(tails.map((t) => t.stop()));
  await Promise.all(tails.map((t) => t.stop()));
  assert.deepEqual(never, []);
  assert.equal(openOn(quiet), 0);
  fs.rmSync(dir, { recursive: true });
});

test('FileTail: started tails are polled by one shared interval, which goes once none is left and comes back for the next', async () => {
  const dir = tmp();
  const files = ['a.log', 'b.log'].map((f) => path.join(dir, f));
  const waitFor = async (check: () => boolean) => {
    for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(check(), 'in time');
  };
  for (const round of [1, 2]) {
    const got = ['', ''];
    const tails = files.map((f, i) => new FileTail(f, fs.existsSync(f) ? fs.statSync(f).size : 0, (t) => { got[i] += t; }));
    for (const t of tails) t.start(5);
    fs.appendFileSync(files[0], `a${round}\n`);
    fs.appendFileSync(files[1], `b${round}\n`);
    await waitFor(() => got[0] === `a${round}\n` && got[1] === `b${round}\n`);
    await Promise.all(tails.map((t) => t.stop()));
    fs.appendFileSync(files[0], 'after stop\n');
    // The shared interval finds no tail, stops; the next round's tails start a new one.
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(got[0], `a${round}\n`, 'nothing after stop');
  }
  fs.rmSync(dir, { recursive: true });
});
