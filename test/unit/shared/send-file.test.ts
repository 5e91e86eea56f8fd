import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { sendFileChunks } from '../../../shared/send-file.ts';

/** A sink that takes each write's bytes only when `release` is called (a slow socket). */
function slowSink() {
  const got: Buffer[] = [];
  const pending: (() => void)[] = [];
  let held = 0;
  let maxHeld = 0;
  const sink = new Writable({
    highWaterMark: 1,
    write(chunk: Buffer, _enc, cb) {
      held += chunk.length;
      maxHeld = Math.max(maxHeld, held);
      pending.push(() => {
        // Copied only when taken, as a socket does: a buffer the sender reused early shows here.
        got.push(Buffer.from(chunk));
        held -= chunk.length;
        cb();
      });
    },
  });
  return { sink, got, release: () => { for (const p of pending.splice(0)) p(); }, maxHeld: () => maxHeld, pendingCount: () => pending.length };
}

function tempFile(bytes: Buffer): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'send-file-'));
  const file = path.join(dir, 'data.bin');
  fs.writeFileSync(file, bytes);
  return file;
}

test('sendFileChunks sends the byte range exactly, through at most buffers × chunkBytes not yet taken', async () => {
  const data = crypto.randomBytes(100_000);
  const file = tempFile(data);
  const fh = await fsp.open(file);
  try {
    const s = slowSink();
    const timer = setInterval(s.release, 1);
    const seen: Buffer[] = [];
    const sent = await sendFileChunks(fh, s.sink, { start: 123, end: 99_000, chunkBytes: 4096, buffers: 3, onChunk: (c) => seen.push(Buffer.from(c)) });
    await new Promise<void>((resolve) => s.sink.end(resolve));
    clearInterval(timer);
    assert.equal(sent, 99_000 - 123);
    assert.deepEqual(Buffer.concat(s.got), data.subarray(123, 99_000));
    assert.deepEqual(Buffer.concat(seen), data.subarray(123, 99_000));
    assert.ok(s.maxHeld() <= 3 * 4096, `held ${s.maxHeld()} bytes at once`);
  } finally {
    await fh.close();
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
});

test('sendFileChunks stops when the sink closes, even while every buffer waits on it', async () => {
  const file = tempFile(crypto.randomBytes(64 * 1024));
  const fh = await fsp.open(file);
  try {
    const s = slowSink();
    const sending = sendFileChunks(fh, s.sink, { chunkBytes: 1024, buffers: 2 });
    // Both buffers are handed out and never taken; the sender waits until the sink goes away.
    while (s.pendingCount() < 1) await new Promise((r) => setImmediate(r));
    s.sink.destroy();
    const sent = await sending;
    assert.ok(sent < 64 * 1024, `sent ${sent}`);
  } finally {
    await fh.close();
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
});

test('sendFileChunks resolves short when the file is shorter than asked', async () => {
  const data = crypto.randomBytes(5000);
  const file = tempFile(data);
  const fh = await fsp.open(file);
  try {
    const s = slowSink();
    const timer = setInterval(s.release, 1);
    const sent = await sendFileChunks(fh, s.sink, { end: 8000, chunkBytes: 1024 });
    await new Promise<void>((resolve) => s.sink.end(resolve));
    clearInterval(timer);
    assert.equal(sent, 5000);
    assert.deepEqual(Buffer.concat(s.got), data);
  } finally {
    await fh.close();
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
});
