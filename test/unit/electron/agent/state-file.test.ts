/**
 * StateFile: saves are appended to a log and folded into the file now and then; what a reader
 * gets is always the last complete save, whatever a crash or a full disk cut short.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { AgentStore } from '../../../../electron/agent/agent-store.ts';
import { logPathOf, readStateFile, StateFile } from '../../../../electron/agent/state-file.ts';

const tmpFile = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'state-file-')), 'agent-state.json');
const lines = (file: string) => fs.readFileSync(logPathOf(file), 'utf8').split('\n').filter(Boolean).length;

test('saves append one line each; the file takes them once the log reaches its limit, and the log starts again', () => {
  const file = tmpFile();
  assert.equal(logPathOf(file), `${file}l`);
  assert.equal(readStateFile(file), null, 'nothing saved yet');
  const s = new StateFile(file, 200);
  s.write(JSON.stringify({ n: 1 }));
  s.write(JSON.stringify({ n: 2 }));
  assert.deepEqual(readStateFile(file), { n: 2 });
  assert.equal(fs.existsSync(file), false, 'no file replaced per save');
  assert.equal(lines(file), 2);
  for (let n = 3; n <= 30; n++) s.write(JSON.stringify({ n, pad: 'x'.repeat(20) }));
  assert.deepEqual(readStateFile(file), { n: 30, pad: 'x'.repeat(20) });
  assert.ok(fs.existsSync(file), 'folded at the limit');
  assert.ok(fs.statSync(logPathOf(file)).size <= 200, 'the log stays under its limit');
  const folded = JSON.parse(fs.readFileSync(file, 'utf8')) as { n: number };
  s.fold(JSON.stringify({ n: 31 }));
  assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), { n: 31 });
  assert.equal(fs.statSync(logPathOf(file)).size, 0, 'folding empties the log');
  assert.ok(folded.n < 31);
  assert.deepEqual(readStateFile(file), { n: 31 }, 'an empty log: the file');
  s.close();
  fs.rmSync(path.dirname(file), { recursive: true });
});

test('a save cut short (no newline) is skipped by readers and cut off before the next save', () => {
  const file = tmpFile();
  fs.writeFileSync(file, JSON.stringify({ n: 0 }));
  fs.writeFileSync(logPathOf(file), `${JSON.stringify({ n: 1 })}\n{"n":2,"half`);
  assert.deepEqual(readStateFile(file), { n: 1 }, 'the last complete line wins over the file');
  fs.writeFileSync(logPathOf(file), `${JSON.stringify({ n: 1 })}\n${JSON.stringify({ n: 2 })}`);
  assert.deepEqual(readStateFile(file), { n: 1 }, 'a line without its newline was not written whole');
  const s = new StateFile(file);
  s.write(JSON.stringify({ n: 3 }));
  assert.equal(fs.readFileSync(logPathOf(file), 'utf8'), `${JSON.stringify({ n: 1 })}\n${JSON.stringify({ n: 3 })}\n`);
  s.close();
  fs.writeFileSync(logPathOf(file), 'garbage\n');
  assert.deepEqual(readStateFile(file), { n: 0 }, 'no line parses: the file');
  fs.rmSync(path.dirname(file), { recursive: true });
});

test('AgentStore: start folds the saves of the previous process into agent-state.json; close() folds and closes', async () => {
  const file = tmpFile();
  const first = new AgentStore(file, () => undefined);
  await first.load();
  first.state.built.push('b1');
  await first.save();
  first.state.built.push('b2');
  await first.save();
  // Killed here: agent-state.json does not have the saves, the log does.
  assert.equal(fs.existsSync(file), false);
  const second = new AgentStore(file, () => undefined);
  await second.load();
  assert.deepEqual(second.state.built, ['b1', 'b2']);
  assert.deepEqual((JSON.parse(fs.readFileSync(file, 'utf8')) as { built: string[] }).built, ['b1', 'b2'], 'what an older version would read');
  assert.equal(fs.statSync(logPathOf(file)).size, 0);
  second.state.built.push('b3');
  await second.save();
  second.close();
  assert.deepEqual((JSON.parse(fs.readFileSync(file, 'utf8')) as { built: string[] }).built, ['b1', 'b2', 'b3']);
  assert.equal(fs.statSync(logPathOf(file)).size, 0);
  fs.rmSync(path.dirname(file), { recursive: true });
});
