import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'node:test';
import { FileStreamError, FileStreamReader, frameError, frameHeader, frameTrailer, MAX_FRAME_HEADER_BYTES, streamEnd, streamStart, type FileFrameHeader } from '../../../shared/file-stream.ts';

const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

function encode(files: { path: string; job?: string; data: Buffer }[]): Buffer {
  return Buffer.concat([streamStart(), ...files.flatMap((f) => [frameHeader({ path: f.path, job: f.job, size: f.data.length }), f.data, frameTrailer(sha(f.data))]), streamEnd()]);
}

/** The bytes as a source cut into `size`-byte chunks (1 = every boundary falls everywhere once). */
async function* chunked(bytes: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield new Uint8Array(bytes.subarray(i, i + size));
}

async function readAll(bytes: Buffer, chunk: number, limits = {}): Promise<{ h: FileFrameHeader; data: Buffer; claimed?: string }[]> {
  const r = new FileStreamReader(chunked(bytes, chunk), limits);
  const out = [];
  for (let h = await r.next(); h; h = await r.next()) {
    const parts: Buffer[] = [];
    for await (const c of r.body()) parts.push(c);
    out.push({ h, data: Buffer.concat(parts), claimed: r.claimedSha256() });
  }
  return out;
}

const files = [
  { path: 'a.txt', data: Buffer.from('hello') },
  { path: 'sub/empty', data: Buffer.alloc(0) },
  { path: 'big.bin', job: 'j1', data: crypto.randomBytes(70_000) },
];

test('files round-trip whatever the chunking, with sizes, jobs and the sender\'s sha256', async () => {
  const bytes = encode(files);
  for (const chunk of [1, 3, 7, 4096, 65536, bytes.length]) {
    const got = await readAll(bytes, chunk);
    assert.equal(got.length, 3, `chunk ${chunk}`);
    got.forEach((g, i) => {
      assert.equal(g.h.path, files[i].path);
      assert.equal(g.h.job, files[i].job);
      assert.equal(g.h.size, files[i].data.length);
      assert.ok(g.data.equals(files[i].data));
      assert.equal(g.claimed, sha(files[i].data));
    });
  }
});

test('an empty stream (start and end only) has no files', async () => {
  assert.deepEqual(await readAll(Buffer.concat([streamStart(), streamEnd()]), 5), []);
});

test('a body not read is skipped by next()', async () => {
  const r = new FileStreamReader(chunked(encode(files), 100));
  assert.equal((await r.next())?.path, 'a.txt');
  assert.equal((await r.next())?.path, 'sub/empty');
  assert.equal((await r.next())?.path, 'big.bin');
  assert.equal(await r.next(), null);
});

const fails = async (bytes: Buffer, re: RegExp, limits = {}) => {
  await assert.rejects(readAll(bytes, 1000, limits), (err: Error) => err instanceof FileStreamError && re.test(err.message));
};

test('malformed streams fail with a FileStreamError naming the problem', async () => {
  const good = encode(files);
  await fails(Buffer.from('<html>not found</html>'.padEnd(40)), /not a file stream/);
  await fails(Buffer.from('dist'), /ended before its opening line/);
  for (const cut of [streamStart().length + 2, streamStart().length + 10, good.length - 70_000, good.length - 40, good.length - 2]) {
    await fails(good.subarray(0, cut), /ended|truncated/);
  }
  await fails(Buffer.concat([good, Buffer.from('x')]), /bytes after the end/);
  const header = (o: unknown) => { const j = Buffer.from(JSON.stringify(o)); const n = Buffer.alloc(4); n.writeUInt32BE(j.length); return Buffer.concat([streamStart(), n, j]); };
  await fails(header({ path: 'x', size: -1 }), /bad size/);
  await fails(header({ path: 'x', size: 1.5 }), /bad size/);
  await fails(header({ path: 'x', size: 2 ** 60 }), /bad size/);
  await fails(header({ path: '', size: 1 }), /no usable path/);
  await fails(header({ size: 1 }), /no usable path/);
  await fails(header({ path: 'x', size: 1, job: 5 }), /bad job/);
  await fails(header([1, 2]), /not an object/);
  const notJson = Buffer.from('{nope'); const n = Buffer.alloc(4); n.writeUInt32BE(notJson.length);
  await fails(Buffer.concat([streamStart(), n, notJson]), /not JSON/);
  const huge = Buffer.alloc(4); huge.writeUInt32BE(MAX_FRAME_HEADER_BYTES + 1);
  await fails(Buffer.concat([streamStart(), huge]), /frame header of \d+ bytes/);
  await fails(Buffer.concat([streamStart(), frameError('archived file vanished')]), /sender stopped after 0 files: archived file vanished/);
  await fails(good, /over the limit of 1000/, { maxFileBytes: 1000 });
});

test('a body abandoned halfway makes the rest of the stream unreadable, not misparsed', async () => {
  const r = new FileStreamReader(chunked(encode(files.slice(2).concat(files.slice(0, 1))), 1000));
  await r.next();
  for await (const c of r.body()) { void c; break; }
  await assert.rejects(r.next(), /abandoned inside a file/);
});

test('bodyBuffered takes a whole buffered file at once, else leaves it to body(); either way the same files and digests', async () => {
  const bytes = encode(files);
  for (const chunk of [1, 3, 7, 4096, 65536, bytes.length]) {
    const r = new FileStreamReader(chunked(bytes, chunk));
    const got: { data: Buffer; claimed?: string; buffered: boolean }[] = [];
    for (let h = await r.next(); h; h = await r.next()) {
      let data = r.bodyBuffered();
      const buffered = data !== null;
      if (!data) {
        const parts: Buffer[] = [];
        for await (const c of r.body()) parts.push(c);
        data = Buffer.concat(parts);
      } else {
        // Taken: body() has nothing more to give, and bodyBuffered() no second copy.
        for await (const c of r.body()) assert.fail(`body() gave ${c.length} more bytes`);
        assert.equal(r.bodyBuffered(), null);
      }
      got.push({ data, claimed: r.claimedSha256(), buffered });
    }
    assert.equal(got.length, files.length, `chunk ${chunk}`);
    got.forEach((g, i) => {
      assert.ok(g.data.equals(files[i].data), `chunk ${chunk}, file ${i}`);
      assert.equal(g.claimed, sha(files[i].data));
    });
    // One chunk holds everything: every file is taken at once; 1-byte chunks: only the empty one is.
    if (chunk === bytes.length) assert.ok(got.every((g) => g.buffered));
    if (chunk === 1) assert.ok(!got[0].buffered && !got[2].buffered);
  }
});

test('bodyBuffered never reads past a truncated stream: body() reports the cut', async () => {
  const bytes = encode(files.slice(0, 1));
  const cut = bytes.subarray(0, bytes.length - 10); // inside the sha256 of a.txt
  const r = new FileStreamReader(chunked(cut, cut.length));
  assert.equal((await r.next())?.path, 'a.txt');
  assert.equal(r.bodyBuffered(), null);
  await assert.rejects(async () => { for await (const c of r.body()) void c; }, (err: Error) => err instanceof FileStreamError && /before the sha256 of 'a.txt'/.test(err.message));
});
