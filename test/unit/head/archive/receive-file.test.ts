import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { receiveFile } from '../../../../head/archive/receive-file.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'receive-'));
  dirs.push(d);
  return d;
}

const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

/** A body of `chunks` chunks of 64 KiB, each filled with a different byte so order matters. */
function payload(chunks: number): Buffer[] {
  return Array.from({ length: chunks }, (_, i) => Buffer.alloc(64 * 1024, i + 1));
}

/** Nothing at `dest` nor at `dest.partial`, and nothing else in its folder. */
function assertNothingLeft(dest: string): void {
  assert.equal(fs.existsSync(dest), false, 'no final file');
  assert.equal(fs.existsSync(`${dest}.partial`), false, 'no .partial');
  assert.deepEqual(fs.readdirSync(path.dirname(dest)), []);
}

describe('receiveFile', () => {
  test('streams a body to disk (creating folders) with its size and sha256', async () => {
    const dest = path.join(tempDir(), 'a', 'b', 'out.bin');
    const chunks = payload(20);
    const whole = Buffer.concat(chunks);
    const r = await receiveFile(Readable.from(chunks), dest, { expectedSha256: sha(whole), maxBytes: whole.length });
    assert.deepEqual(r, { ok: true, size: whole.length, sha256: sha(whole) });
    assert.ok(fs.readFileSync(dest).equals(whole));
    assert.deepEqual(fs.readdirSync(path.dirname(dest)), ['out.bin'], 'no .partial left');
  });

  test('an empty body without expectations gives an empty file', async () => {
    const dest = path.join(tempDir(), 'empty');
    const r = await receiveFile(Readable.from([]), dest, {});
    assert.deepEqual(r, { ok: true, size: 0, sha256: sha(Buffer.alloc(0)) });
    assert.equal(fs.statSync(dest).size, 0);
  });

  test('a sha256 mismatch is refused with 422 and leaves nothing', async () => {
    const dest = path.join(tempDir(), 'f.bin');
    const r = await receiveFile(Readable.from(payload(3)), dest, { expectedSha256: '0'.repeat(64) });
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.status, 422);
    assertNothingLeft(dest);
  });

  test('a body over maxBytes is refused with 413 and leaves nothing', async () => {
    const dest = path.join(tempDir(), 'f.bin');
    const chunks = payload(4);
    const r = await receiveFile(Readable.from(chunks), dest, { maxBytes: Buffer.concat(chunks).length - 1 });
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.status, 413);
    assertNothingLeft(dest);
  });

  test('a body that errors midway leaves nothing', async () => {
    const dest = path.join(tempDir(), 'f.bin');
    let sent = 0;
    const body = new Readable({
      read() {
        if (sent++ < 3) this.push(Buffer.alloc(64 * 1024, sent));
        else this.destroy(new Error('connection reset'));
      },
    });
    const r = await receiveFile(body, dest, {});
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.status, 400);
    assert.match(!r.ok ? r.error : '', /connection reset/);
    assertNothingLeft(dest);
  });

  test('a sha256 given as a function (HTTP trailer) is asked once, after the whole body', async () => {
    const dest = path.join(tempDir(), 'f.bin');
    const chunks = payload(5);
    const whole = Buffer.concat(chunks);
    let consumed = false;
    const body = Readable.from(chunks).on('end', () => { consumed = true; });
    let calls = 0;
    const r = await receiveFile(body, dest, { expectedSha256: () => { calls++; assert.ok(consumed, 'asked before the body ended'); return sha(whole); } });
    assert.deepEqual(r, { ok: true, size: whole.length, sha256: sha(whole) });
    assert.equal(calls, 1);
  });

  test('a sha256 function returning a wrong digest gives 422, returning nothing gives 400; both leave nothing', async () => {
    const dir = tempDir();
    const wrong = await receiveFile(Readable.from(payload(2)), path.join(dir, 'w.bin'), { expectedSha256: () => '1'.repeat(64) });
    assert.equal(!wrong.ok && wrong.status, 422);
    const none = await receiveFile(Readable.from(payload(2)), path.join(dir, 'n.bin'), { expectedSha256: () => undefined });
    assert.equal(!none.ok && none.status, 400);
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  test('a failed upload does not touch an existing file of the same name', async () => {
    const dest = path.join(tempDir(), 'f.bin');
    fs.writeFileSync(dest, 'previous');
    const r = await receiveFile(Readable.from(payload(2)), dest, { expectedSha256: 'f'.repeat(64) });
    assert.equal(r.ok, false);
    assert.equal(fs.readFileSync(dest, 'utf8'), 'previous');
    assert.deepEqual(fs.readdirSync(path.dirname(dest)), ['f.bin']);
  });
});
