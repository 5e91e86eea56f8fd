/**
 * The WebSocket wire format: one valid message of every type round-trips through `encode` and the
 * decoder of its direction, in every raw shape `ws` delivers (string, Buffer, Buffer[],
 * ArrayBuffer); garbage comes back as an error value with a readable message, never a throw.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CloseCode,
  MAX_MESSAGE_BYTES,
  closeCodeName,
  decodeAgentMessage,
  decodeHeadMessage,
  encode,
  type AgentMessage,
  type HeadMessage,
} from '../../../../shared/protocol/messages.ts';

const REF = { runId: 'rAbCdEfGh_-12345' };
const SHA = 'a'.repeat(64);

const AGENT_MESSAGES: AgentMessage[] = [
  {
    type: 'hello', protocol: 1, agentVersion: '0.1.0', name: 'ws-01',
    capabilities: { tags: ['python3', 'gpu'], physicalCores: 8, logicalCores: 16, memoryBytes: 32e9, gpus: [{ vendor: 'NVIDIA', model: 'A4000', memoryBytes: 16e9 }] },
    held: [{ ...REF, runKey: 'k'.repeat(43), state: 'paused', pausedUntil: 123 }, { runId: 'v1-legacyRunOf01', state: 'running' }],
    built: ['b-1'],
    owner: 'alice',
  },
  { type: 'heartbeat', at: 1_700_000_000_000 },
  { type: 'job-started', ...REF },
  { type: 'job-log', ...REF, stream: 'stderr', data: 'line 1\nünïcødé ✓\n' },
  { type: 'job-paused', ...REF, until: null },
  { type: 'job-paused', ...REF, until: 99 },
  { type: 'job-resumed', ...REF },
  { type: 'node-paused', until: 5 },
  { type: 'node-resumed' },
  {
    type: 'job-finished', ...REF, result: { outcome: 'killed', signal: 'SIGTERM' }, startedAt: 1, endedAt: 9, runMs: 8,
    files: [{ path: 'out/result.csv', size: 12, sha256: SHA }],
  },
  { type: 'job-finished', ...REF, result: { outcome: 'succeeded', exitCode: 0 }, startedAt: 1, endedAt: 1, runMs: 0, files: [] },
  { type: 'job-rejected', ...REF, reason: 'busy' },
  { type: 'build-failed', batchId: 'b-1', log: 'make: *** error' },
  { type: 'build-succeeded', batchId: 'b-1' },
  { type: 'leaving' },
  { type: 'job-exited', ...REF, bytes: 0 },
  { type: 'job-exited', ...REF, bytes: 4096 },
];

const HEAD_MESSAGES: HeadMessage[] = [
  { type: 'welcome', nodeId: 'n-1', heartbeatMs: 5000, timeoutMs: 20000, headVersion: '0.1.0' },
  { type: 'heartbeat', at: 2 },
  {
    type: 'assign', ...REF, runKey: 'k'.repeat(43), batchId: 'b-1', job: 'job-1', attempt: 1,
    batch: {
      id: 'b-1', owner: 'alice', namespace: 'ns', name: 'batch', kind: 'python', capabilities: ['python3'], resources: { cpus: 2 },
      maxRetries: 1, buildFile: { alias: 'build.py', sha256: SHA, size: 10 }, requiredMounts: [], initFiles: [],
    },
    spec: { name: 'job-1', script: { alias: 'job.py', sha256: SHA, size: 3 }, files: [{ alias: 'in.dat', sha256: SHA, size: 0 }] },
  },
  { type: 'cancel', ...REF, reason: 'cancelled by alice' },
  { type: 'result-ack', ...REF, status: 'missing-files', missing: ['out/a'] },
  { type: 'result-ack', ...REF, status: 'archived' },
  { type: 'pause', until: null },
  { type: 'resume' },
  { type: 'forget-batch', batchId: 'b-1' },
  { type: 'welcome', nodeId: 'n-1', heartbeatMs: 5000, timeoutMs: 20000, headVersion: '0.2.0', exitReports: true },
];

/** Every raw shape the `ws` library hands to a message listener. */
function rawForms(text: string): [string, unknown][] {
  const buf = Buffer.from(text, 'utf8');
  const mid = Math.floor(buf.length / 2);
  const ab = new ArrayBuffer(buf.length);
  new Uint8Array(ab).set(buf);
  return [
    ['string', text],
    ['Buffer', buf],
    ['Buffer[] fragments', [buf.subarray(0, mid), buf.subarray(mid)]],
    ['ArrayBuffer', ab],
  ];
}

for (const message of AGENT_MESSAGES) {
  test(`agent ${message.type}: round trip in every raw form`, () => {
    for (const [form, raw] of rawForms(encode(message))) {
      assert.deepEqual(decodeAgentMessage(raw), { ok: true, message }, form);
    }
  });
}

for (const message of HEAD_MESSAGES) {
  test(`head ${message.type}: round trip in every raw form`, () => {
    for (const [form, raw] of rawForms(encode(message))) {
      assert.deepEqual(decodeHeadMessage(raw), { ok: true, message }, form);
    }
  });
}

test('a batch header fills requiredMounts with its default', () => {
  const assign = structuredClone(HEAD_MESSAGES[2]) as Extract<HeadMessage, { type: 'assign' }>;
  const wire = JSON.parse(encode(assign)) as { batch: Record<string, unknown> };
  delete wire.batch.requiredMounts;
  const decoded = decodeHeadMessage(JSON.stringify(wire));
  assert.ok(decoded.ok && decoded.message.type === 'assign');
  assert.deepEqual(decoded.message.batch.requiredMounts, []);
});

test('each direction refuses the other direction\'s messages', () => {
  assert.deepEqual(decodeHeadMessage(encode({ type: 'job-started', ...REF })).ok, false);
  assert.deepEqual(decodeAgentMessage(encode({ type: 'welcome', nodeId: 'n', heartbeatMs: 1, timeoutMs: 2, headVersion: 'v' })).ok, false);
});

const AGENT_TYPES = "'hello' | 'heartbeat' | 'job-started' | 'job-log' | 'job-paused' | 'job-resumed' | 'job-exited' | 'node-paused' | 'node-resumed' | 'job-finished' | 'job-rejected' | 'build-failed' | 'leaving' | 'build-succeeded'";
const HEAD_TYPES = "'welcome' | 'heartbeat' | 'assign' | 'cancel' | 'result-ack' | 'pause' | 'resume' | 'forget-batch'";

const GARBAGE: { name: string; raw: unknown; agent: string; head?: string }[] = [
  { name: 'not JSON', raw: 'hello there', agent: 'message is not JSON: "hello there"' },
  { name: 'truncated JSON', raw: '{"type":"heartbeat",', agent: 'message is not JSON: "{\\"type\\":\\"heartbeat\\","' },
  { name: 'not JSON, quoted at most 60 characters', raw: 'x'.repeat(500), agent: `message is not JSON: "${'x'.repeat(60)}"` },
  { name: 'empty text', raw: '', agent: 'message is not JSON: ""' },
  { name: 'binary garbage', raw: Buffer.from([0xff, 0xfe, 0x00]), agent: 'message is not JSON: "\uFFFD\uFFFD\\u0000"' },
  { name: 'JSON array', raw: '[]', agent: 'invalid message: (root): Invalid input: expected object, received array' },
  { name: 'JSON string', raw: '"hello"', agent: 'invalid message: (root): Invalid input: expected object, received string' },
  { name: 'JSON null', raw: 'null', agent: 'invalid message: (root): Invalid input: expected object, received null' },
  { name: 'no type', raw: '{"at":1}', agent: `invalid message: type: Invalid discriminator value. Expected ${AGENT_TYPES}`, head: `invalid message: type: Invalid discriminator value. Expected ${HEAD_TYPES}` },
  { name: 'unknown type', raw: '{"type":"reboot"}', agent: `invalid message: type: Invalid discriminator value. Expected ${AGENT_TYPES}`, head: `invalid message: type: Invalid discriminator value. Expected ${HEAD_TYPES}` },
  { name: 'missing field', raw: '{"type":"heartbeat"}', agent: 'invalid message: at: Invalid input: expected number, received undefined' },
  { name: 'field of the wrong type', raw: '{"type":"heartbeat","at":"now"}', agent: 'invalid message: at: Invalid input: expected number, received string' },
  { name: 'not text at all', raw: 42, agent: 'message is not text' },
  { name: 'undefined', raw: undefined, agent: 'message is not text' },
  { name: 'plain object', raw: { type: 'heartbeat', at: 1 }, agent: 'message is not text' },
];

for (const c of GARBAGE) {
  test(`garbage: ${c.name}`, () => {
    assert.deepEqual(decodeAgentMessage(c.raw), { ok: false, error: c.agent });
    assert.deepEqual(decodeHeadMessage(c.raw), { ok: false, error: c.head ?? c.agent });
  });
}

const AGENT_INVALID: { name: string; message: Record<string, unknown>; error: string }[] = [
  { name: 'no run id', message: { type: 'job-started' }, error: 'runId: Invalid input: expected string, received undefined' },
  { name: 'run id that is a path', message: { type: 'job-started', runId: '../../x/y/zzzz' }, error: 'runId: not a run id' },
  { name: 'run id too short', message: { type: 'job-log', runId: 'r1', stream: 'stdout', data: '' }, error: 'runId: not a run id' },
  { name: 'held run with a bad run id', message: { ...AGENT_MESSAGES[0], held: [{ runId: 'a b c d e f g h', state: 'running' }] }, error: 'held.0.runId: not a run id' },
  { name: 'hello without a name', message: { ...AGENT_MESSAGES[0], name: '' }, error: 'name: must not be empty' },
  { name: 'hello with a newline in the name', message: { ...AGENT_MESSAGES[0], name: 'a\nb' }, error: "name: 'a\\x0ab' must not contain NUL or control characters" },
  { name: 'log on an unknown stream', message: { type: 'job-log', ...REF, stream: 'stdin', data: '' }, error: 'stream: Invalid option: expected one of "stdout"|"stderr"' },
  {
    name: 'unknown outcome',
    message: { ...AGENT_MESSAGES[9], result: { outcome: 'exploded' } },
    error: "result.outcome: Invalid discriminator value. Expected 'succeeded' | 'failed' | 'killed' | 'spawn-failed' | 'cancelled' | 'build-failed' | 'rejected'",
  },
  { name: 'succeeded with a non-zero exit code', message: { ...AGENT_MESSAGES[9], result: { outcome: 'succeeded', exitCode: 1 } }, error: 'result.exitCode: Invalid input: expected 0' },
  { name: 'job-exited with negative bytes', message: { type: 'job-exited', ...REF, bytes: -1 }, error: 'bytes: Too small: expected number to be >=0' },
  { name: 'negative runMs', message: { ...AGENT_MESSAGES[9], runMs: -1 }, error: 'runMs: Too small: expected number to be >=0' },
  {
    name: 'result file with a bad digest',
    message: { ...AGENT_MESSAGES[9], files: [{ path: 'x', size: 1, sha256: 'ABC' }] },
    error: 'files.0.sha256: Invalid string: must match pattern /^[0-9a-f]{64}$/',
  },
  { name: 'held job in an unknown state', message: { ...AGENT_MESSAGES[0], held: [{ ...REF, state: 'queued' }] }, error: 'held.0.state: Invalid option: expected one of "running"|"paused"|"finished"' },
];

for (const c of AGENT_INVALID) {
  test(`invalid agent message: ${c.name}`, () => {
    assert.deepEqual(decodeAgentMessage(JSON.stringify(c.message)), { ok: false, error: `invalid message: ${c.error}` });
  });
}

test('invalid head messages: unsafe job name in an assign, unknown ack status', () => {
  const assign = JSON.parse(encode(HEAD_MESSAGES[2])) as { spec: { name: string } };
  assign.spec.name = '../etc';
  assert.deepEqual(decodeHeadMessage(JSON.stringify(assign)), { ok: false, error: "invalid message: spec.name: '../etc' must not contain '/' or '\\'" });
  assert.deepEqual(decodeHeadMessage(JSON.stringify({ type: 'result-ack', ...REF, status: 'maybe' })), {
    ok: false, error: 'invalid message: status: Invalid option: expected one of "archived"|"discarded"|"missing-files"',
  });
});

// ---- size limit -------------------------------------------------------------------------------

const TOO_BIG = `message larger than ${MAX_MESSAGE_BYTES} bytes`;

/**
 * A job-log message whose encoded form is exactly `bytes` UTF-8 bytes: as many `fill` as fit, the
 * rest padded with `x`.
 */
function logOfBytes(bytes: number, fill: string): string {
  const empty = encode({ type: 'job-log', ...REF, stream: 'stdout', data: '' });
  const room = bytes - Buffer.byteLength(empty);
  const per = Buffer.byteLength(fill);
  const text = encode({ type: 'job-log', ...REF, stream: 'stdout', data: fill.repeat(Math.floor(room / per)) + 'x'.repeat(room % per) });
  assert.equal(Buffer.byteLength(text), bytes, 'test setup');
  return text;
}

/** The outcome only, so a failure does not print megabytes of message. */
const verdict = (r: { ok: true } | { ok: false; error: string }) => (r.ok ? 'accepted' : r.error);

test('size limit: a message of exactly MAX_MESSAGE_BYTES is accepted, one byte more is refused', () => {
  const atLimit = logOfBytes(MAX_MESSAGE_BYTES, 'x');
  for (const [form, raw] of rawForms(atLimit)) assert.equal(verdict(decodeAgentMessage(raw)), 'accepted', form);
  const over = logOfBytes(MAX_MESSAGE_BYTES + 1, 'x');
  for (const [form, raw] of rawForms(over)) assert.equal(verdict(decodeAgentMessage(raw)), TOO_BIG, form);
  assert.equal(verdict(decodeHeadMessage('y'.repeat(MAX_MESSAGE_BYTES + 1))), TOO_BIG);
});

test('size limit counts UTF-8 bytes, not characters', () => {
  // Three bytes per '€': about 2 Mi characters but 6 MiB on the wire.
  const wide = logOfBytes(6 * 1024 * 1024, '€');
  assert.ok(wide.length < MAX_MESSAGE_BYTES, 'test setup: fewer characters than the limit');
  for (const [form, raw] of rawForms(wide)) assert.equal(verdict(decodeAgentMessage(raw)), TOO_BIG, form);
  // ... and multi-byte text at the limit is still accepted.
  assert.equal(verdict(decodeAgentMessage(logOfBytes(MAX_MESSAGE_BYTES, '€'))), 'accepted');
});

test('an array holding something other than Buffers is an error value, not a throw', () => {
  assert.deepEqual(decodeAgentMessage(['{"type":"node-resumed"}']), { ok: false, error: 'message is not text' });
  assert.deepEqual(decodeHeadMessage([Buffer.from('{'), 7]), { ok: false, error: 'message is not text' });
});

// ---- close codes ------------------------------------------------------------------------------

test('closeCodeName names every close code and falls back to the number', () => {
  for (const [name, code] of Object.entries(CloseCode)) assert.equal(closeCodeName(code), name);
  assert.deepEqual(
    [1000, 4001, 4002, 4003, 4004, 4005, 4006].map(closeCodeName),
    ['normal', 'unauthorized', 'versionMismatch', 'badMessage', 'replaced', 'shuttingDown', 'timedOut'],
  );
  assert.equal(closeCodeName(1006), '1006');
  assert.equal(closeCodeName(4999), '4999');
  assert.equal(new Set(Object.values(CloseCode)).size, Object.keys(CloseCode).length, 'codes are distinct');
});
