/**
 * The agent's fast decoder of head messages (shared/protocol/fast-head-messages.ts) against the zod decoder it stands in
 * front of: for valid messages and thousands of mutated ones (a field removed, replaced by a value
 * of every kind, an unknown key added, at every depth), `decodeFromHead` gives exactly what
 * `decodeHeadMessage` gives, and the fast check accepts only what zod accepts, with zod's output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeFromHead, decodeHeadMessage, fastHeadMessage, type HeadMessage } from '../../../../shared/protocol/index.ts';
import { assertMutationsAgree, assertOthersGoToZod } from '../../../helpers/fast-decoder-checks.ts';

const SHA = 'a'.repeat(64);
const RUN = 'rAbCdEfGh_-12345';

/** A trivial shell job's assign, as the head sends it. */
const SHELL_ASSIGN = {
  type: 'assign', runId: RUN, runKey: 'k'.repeat(43), batchId: 'mx33l73b4g61bh', job: 'j1', attempt: 1,
  batch: { namespace: 'bench', name: 'prof', kind: 'shell', capabilities: [], resources: {}, maxRetries: 0, requiredMounts: [], initFiles: [], id: 'mx33l73b4g61bh', owner: 'admin' },
  spec: { name: 'j1', command: 'true', files: [] }, ahead: true,
};

/** An assign with every optional field of the batch header and the job spec. */
const FULL_ASSIGN = {
  type: 'assign', runId: RUN, runKey: 'key', batchId: 'b-1', job: 'job-1', attempt: 3,
  batch: {
    namespace: 'ns', name: 'batch', matrix: 'a b', kind: 'python', capabilities: ['python3', 'gpu'],
    resources: { cpus: 2, memory_gb: 1.5, gpus: 1, gpu_memory_gb: 8 }, request: { cpus: 1, memory_gb: 0.5, gpus: 0 },
    maxRetries: 100, share: 'lab', buildFile: { alias: 'build.py', sha256: SHA, size: 10 }, buildCommand: 'make',
    sif: { alias: 'img.sif', sha256: SHA, size: 0 }, requiredMounts: ['/data'], initFiles: [{ alias: 'init.txt', sha256: SHA, size: 1 }],
    id: 'b-1', owner: 'alice',
  },
  spec: { name: 'job-1', script: { alias: 'job.py', sha256: SHA, size: 3 }, command: 'x', files: [{ alias: 'in.dat', sha256: SHA, size: 0 }], request: { cpus: 2 } },
  ahead: false,
};

const VALID: unknown[] = [
  SHELL_ASSIGN,
  FULL_ASSIGN,
  { ...SHELL_ASSIGN, ahead: undefined, batch: { ...SHELL_ASSIGN.batch, requiredMounts: undefined } },
  { type: 'result-ack', runId: RUN, status: 'archived' },
  { type: 'result-ack', runId: RUN, status: 'discarded' },
  { type: 'result-ack', runId: RUN, status: 'missing-files', missing: ['out/a', 'stdout.log'] },
  { type: 'heartbeat', at: 1_700_000_000_000 },
  { type: 'heartbeat', at: -0.5 },
];

/** Values of every kind a hostile or broken head could put in a field. */
const ODD: unknown[] = [
  null, true, false, 0, -1, 1, 1.5, 101, 2 ** 53, -(2 ** 53), 1e308, '', 'x', 'bench', '..', '.', 'a/b', 'a\\b', 'a\u0000b', 'tab\there',
  'A'.repeat(300), 'r'.repeat(65), SHA, SHA.toUpperCase(), 'shell', 'lab', 'archived', 'constructor', '__proto__', 'toString',
  [], [1], ['x'], ['..'], [{}], {}, { alias: 'a', sha256: SHA, size: 1 }, { cpus: 1 }, { cpus: 0 }, { extra: 1 },
];

const DECODERS = { fast: fastHeadMessage, decode: decodeFromHead, zod: decodeHeadMessage };

test('valid hot messages: the fast check takes them, with zod\'s output (defaults filled, unknown outer keys dropped)', () => {
  for (const message of VALID) {
    const raw = Buffer.from(JSON.stringify(message));
    const zod = decodeHeadMessage(raw);
    assert.equal(zod.ok, true, raw.toString());
    assert.ok(fastHeadMessage(JSON.parse(raw.toString())), `fast path declined ${raw.toString()}`);
    assert.deepStrictEqual(decodeFromHead(raw), zod);
    assert.deepStrictEqual(decodeFromHead(Buffer.from(JSON.stringify({ ...(message as object), later: 'field' }))), zod);
  }
  const decoded = decodeFromHead(Buffer.from(JSON.stringify({ ...SHELL_ASSIGN, batch: { ...SHELL_ASSIGN.batch, requiredMounts: undefined } })));
  assert.ok(decoded.ok && decoded.message.type === 'assign');
  assert.deepEqual(decoded.message.batch.requiredMounts, []);
});

test('mutated messages: the same verdict and error as zod, every one', () => {
  const { count, accepted } = assertMutationsAgree(DECODERS, VALID, ODD);
  assert.ok(count > 3000, `${count} mutations`);
  // Mutations that keep a message valid (an odd but allowed value) still take the fast path.
  assert.ok(accepted > 50, `${accepted} accepted`);
});

test('every other message, and raw forms other than one Buffer, go to zod unchanged', () => {
  const others: HeadMessage[] = [
    { type: 'welcome', nodeId: 'n-1', heartbeatMs: 5000, timeoutMs: 20000, headVersion: '0.1.0', exitReports: true, inlineResults: 5 },
    { type: 'cancel', runId: RUN, reason: 'cancelled' },
    { type: 'pause', until: null },
    { type: 'resume' },
    { type: 'forget-batch', batchId: 'b-1' },
  ];
  assertOthersGoToZod(DECODERS, others, SHELL_ASSIGN, 'assign');
});
