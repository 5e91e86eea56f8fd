/**
 * The head's fast decoder of agent messages (shared/protocol/fast-agent-messages.ts) against the zod decoder it
 * stands in front of: for valid messages and thousands of mutated ones (a field removed, replaced
 * by a value of every kind, an unknown key added, at every depth), `decodeFromAgent` gives exactly
 * what `decodeAgentMessage` gives, and the fast check accepts only what zod accepts, with zod's output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeAgentMessage, decodeFromAgent, fastAgentMessage, type AgentMessage } from '../../../../shared/protocol/index.ts';
import { assertMutationsAgree, assertOthersGoToZod } from '../../../helpers/fast-decoder-checks.ts';

const SHA = 'a'.repeat(64);
const RUN = 'rAbCdEfGh_-12345';

/** A trivial shell job's report, as a real agent sends it: its two logs inline. */
const TRIVIAL_FINISHED = {
  type: 'job-finished', runId: RUN, result: { outcome: 'succeeded', exitCode: 0 }, startedAt: 1_796_033_632_596, endedAt: 1_796_033_632_599, runMs: 3,
  files: [{ path: '_distribute/stdout.log', size: 0, sha256: SHA }, { path: '_distribute/stderr.log', size: 4, sha256: SHA }],
  inline: [{ path: '_distribute/stdout.log', data: '' }, { path: '_distribute/stderr.log', data: 'aGkK' }],
};

const VALID: unknown[] = [
  TRIVIAL_FINISHED,
  { ...TRIVIAL_FINISHED, inline: undefined },
  { ...TRIVIAL_FINISHED, files: [], inline: [] },
  { ...TRIVIAL_FINISHED, result: { outcome: 'failed', exitCode: 3 }, skipped: ['bad\\nname: not storable'] },
  { ...TRIVIAL_FINISHED, result: { outcome: 'failed', exitCode: -1 }, runMs: 0 },
  { ...TRIVIAL_FINISHED, result: { outcome: 'killed', signal: 'SIGKILL' } },
  { ...TRIVIAL_FINISHED, result: { outcome: 'spawn-failed', message: 'ENOENT' } },
  { ...TRIVIAL_FINISHED, result: { outcome: 'cancelled', by: 'alice' } },
  { ...TRIVIAL_FINISHED, result: { outcome: 'build-failed', message: 'make: 2' } },
  { ...TRIVIAL_FINISHED, result: { outcome: 'rejected', message: 'x' } },
  { type: 'job-started', runId: RUN },
  { type: 'heartbeat', at: 1_700_000_000_000 },
  { type: 'heartbeat', at: -0.5 },
];

/** Values of every kind a hostile or broken agent could put in a field. */
const ODD: unknown[] = [
  null, true, false, 0, -0, -1, 1, 1.5, 2 ** 53, -(2 ** 53), 1e308, '', 'x', '..', 'a/b', 'a\u0000b', 'A'.repeat(1001), 'B'.repeat(4097),
  'r'.repeat(65), SHA, SHA.toUpperCase(), 'succeeded', 'failed', 'killed', 'exitCode', 'constructor', '__proto__', 'toString', 'hasOwnProperty',
  [], [1], ['x'], [{}], {}, { path: 'p', size: 1, sha256: SHA }, { path: 'p', data: '' }, { outcome: 'succeeded', exitCode: 0 }, { extra: 1 },
];

const DECODERS = { fast: fastAgentMessage, decode: decodeFromAgent, zod: decodeAgentMessage };

test('valid hot messages: the fast check takes them, with zod\'s output', () => {
  for (const message of VALID) {
    const raw = Buffer.from(JSON.stringify(message));
    const zod = decodeAgentMessage(raw);
    assert.equal(zod.ok, true, raw.toString());
    assert.ok(fastAgentMessage(JSON.parse(raw.toString())), `fast path declined ${raw.toString()}`);
    assert.deepStrictEqual(decodeFromAgent(raw), zod);
  }
  // 1e400 parses to Infinity, which zod refuses.
  assert.deepStrictEqual(decodeFromAgent(Buffer.from('{"type":"heartbeat","at":1e400}')), decodeAgentMessage(Buffer.from('{"type":"heartbeat","at":1e400}')));
  assert.equal(decodeFromAgent(Buffer.from('{"type":"heartbeat","at":1e400}')).ok, false);
});

test('mutated messages: the same verdict and error as zod, every one', () => {
  const { count, accepted } = assertMutationsAgree(DECODERS, VALID, ODD);
  assert.ok(count > 3000, `${count} mutations`);
  // Mutations that keep a message valid (an odd but allowed value) still take the fast path.
  assert.ok(accepted > 50, `${accepted} accepted`);
});

test('every other message, and raw forms other than one Buffer, go to zod unchanged', () => {
  const others: AgentMessage[] = [
    { type: 'job-log', runId: RUN, stream: 'stdout', data: 'x' },
    { type: 'job-exited', runId: RUN, bytes: 5 },
    { type: 'job-rejected', runId: RUN, reason: 'busy', unstarted: true },
    { type: 'leaving' },
    { type: 'build-succeeded', batchId: 'b-1' },
  ];
  assertOthersGoToZod(DECODERS, others, TRIVIAL_FINISHED, 'job-finished');
});
