/**
 * Bad result streams (shared/file-stream.ts) into a real run on a real head, sent with the run's
 * own node credential and key (the strongest position a broken or compromised agent can be in):
 * paths climbing out of the staging folder or absolute, bytes that do not match their sha256,
 * streams cut inside a file or before their end, a size the bytes never reach, an oversized
 * header, an error frame, bytes after the end, something that is not a stream. Each is refused
 * with its reason, nothing lands outside the run's staging, nothing unverified is kept in it (no
 * file under a final name that does not match, no partial left), and the genuine job still
 * archives its own result. Uploads from another node or without the key: run-leases.test.ts.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { RUN_KEY_HEADER, routes } from '../../shared/api/routes.ts';
import { readSavedState } from '../../electron/agent/agent-store.ts';
import { FILE_STREAM_TYPE, frameError, frameHeader, frameTrailer, streamEnd, streamStart } from '../../shared/file-stream.ts';
import { listFiles, startAgentProc, startHeadProc, tempDir, waitBatchEnded, waitFor, type HeadProc, type Proc } from '../helpers/cluster.ts';
import { addBatch, jobOf, stopAll, waitIdleNodes, writeShellBatch } from '../helpers/shell-batch.ts';

let head: HeadProc;
let agent: Proc;
const wd = tempDir('rstream-agent');
const tmp = tempDir('rstream');

before(async () => {
  head = await startHeadProc(tempDir('rstream-head'), { nodeTimeout: '10s' });
  agent = startAgentProc(head, 'genuine', wd);
  await waitIdleNodes(head, 1);
});

after(() => stopAll(head, agent ? [agent] : [], [wd]));

const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
const file = (p: string, data: Buffer, claimed = sha(data)) => [frameHeader({ path: p, size: data.length }), data, frameTrailer(claimed)];
const stream = (...frames: Buffer[][]) => Buffer.concat([streamStart(), ...frames.flat(), streamEnd()]);
const GOOD = Buffer.from('verified\n');

test('bad result streams from the run\'s own node, with its key, are refused and leave nothing unverified', async () => {
  // The job runs until the test is done with it (a go file; at most 120 s), however slow the machine.
  const go = path.join(tmp, 'go');
  const config = writeShellBatch(tmp, { name: 'victim', jobs: [{ name: 'j', command: `for i in $(seq 1200); do [ -e ${JSON.stringify(go)} ] && break; sleep 0.1; done; echo genuine > distribute_save/out.txt` }] });
  const { id } = await addBatch(head, config);
  await waitFor(async () => (await jobOf(head, id, 'j'))?.state === 'running', 30_000, () => 'the genuine job never started');
  const { runId, runKey } = readSavedState(path.join(wd, 'agent-state.json'))!.runs[0] as { runId: string; runKey: string };
  const credential = JSON.parse(fs.readFileSync(path.join(wd, 'node-credential.json'), 'utf8')).credential as string;
  const post = async (body: Buffer) => {
    const res = await fetch(head.url + routes.agentResultStream(runId), {
      method: 'POST', body: new Uint8Array(body), headers: { authorization: `Bearer ${credential}`, 'content-type': FILE_STREAM_TYPE, [RUN_KEY_HEADER]: runKey },
    });
    return { status: res.status, error: ((await res.json()) as { error?: string }).error ?? '' };
  };
  const staging = path.join(head.dataDir, 'staging', id, runId);
  const whole = stream(file('cut.bin', Buffer.alloc(100_000, 3)));
  const bigHeader = Buffer.alloc(4);
  bigHeader.writeUInt32BE(1 << 20);
  const cases: [string, Buffer, number, RegExp][] = [
    ['a path climbing out', stream(file('../../../../../escaped.txt', GOOD)), 400, /refused result path/],
    ['a path climbing out midway', stream(file('a/../../../escaped.txt', GOOD)), 400, /refused result path/],
    ['an absolute path', stream(file('/tmp/escaped.txt', GOOD)), 400, /refused result path/],
    ['bytes that do not match their sha256', stream(file('wrong.txt', GOOD, sha(Buffer.from('other')))), 422, /wrong\.txt: sha256 mismatch/],
    ['a stream cut inside a file', whole.subarray(0, 50_000), 400, /ended inside 'cut\.bin'/],
    ['a stream cut before its end frame', whole.subarray(0, whole.length - 4), 400, /truncated/],
    ['a size the bytes never reach', Buffer.concat([streamStart(), frameHeader({ path: 'short.txt', size: 1000 }), GOOD]), 400, /ended inside 'short\.txt'/],
    ['an oversized frame header', Buffer.concat([streamStart(), bigHeader, Buffer.alloc(64)]), 400, /frame header of 1048576 bytes/],
    ['an error frame', Buffer.concat([streamStart(), frameError('agent gave up')]), 400, /sender stopped after 0 files: agent gave up/],
    ['not a file stream', Buffer.from('PUT me somewhere please'), 400, /not a file stream/],
  ];
  for (const [name, body, status, error] of cases) {
    const r = await post(body);
    assert.equal(r.status, status, `${name}: ${r.status} ${r.error}`);
    assert.match(r.error, error, name);
  }
  // Bytes after the end: the file before them is complete and verified, the stream still refused.
  const trailing = await post(Buffer.concat([stream(file('before.txt', GOOD)), Buffer.from('junk')]));
  assert.equal(trailing.status, 400);
  assert.match(trailing.error, /bytes after the end/);
  // A sane stream with the same credential and key is taken, so the refusals are about the streams.
  const sane = await post(stream(file('probe.txt', GOOD), file('sub/probe2.txt', GOOD)));
  assert.equal(sane.status, 201, sane.error);

  const escaped = listFiles(head.dataDir).filter((f) => f.includes('escaped'));
  assert.deepEqual(escaped, [], 'nothing outside the run staging');
  assert.ok(!fs.existsSync('/tmp/escaped.txt'));
  const staged = listFiles(staging).sort();
  // cut.bin arrived whole (with its sha256) in the stream cut before its end frame: complete and verified.
  assert.deepEqual(staged.filter((f) => !f.startsWith('_distribute/')), ['before.txt', 'cut.bin', 'probe.txt', 'sub/probe2.txt'], `only verified files are staged: ${staged.join(', ')}`);
  for (const f of ['before.txt', 'probe.txt', 'sub/probe2.txt']) assert.equal(fs.readFileSync(path.join(staging, f), 'utf8'), GOOD.toString());
  assert.ok(fs.readFileSync(path.join(staging, 'cut.bin')).equals(Buffer.alloc(100_000, 3)));

  // The genuine run finishes and archives its own files; what it did not list is dropped.
  fs.writeFileSync(go, '');
  const batch = await waitBatchEnded(head, id, 60_000);
  assert.equal(batch.jobs[0].outcome, 'succeeded');
  const jobDir = path.join(head.dataDir, 'archive', 'ft', 'victim', 'j');
  assert.equal(fs.readFileSync(path.join(jobDir, 'out.txt'), 'utf8'), 'genuine\n');
  assert.ok(!fs.existsSync(path.join(jobDir, 'probe.txt')), 'unlisted staged files are not archived');
  assert.deepEqual(listFiles(jobDir).filter((f) => f.endsWith('.partial')), []);
  const refusals = head.output().split('\n').filter((l) => l.includes(`refused a result stream into run ${runId} from genuine`));
  assert.equal(refusals.length, cases.length + 1, `each refusal is logged:\n${refusals.join('\n')}`);
});
