/**
 * Configs that would poison every agent: a NUL byte in a command (no process argument can carry
 * one) and commands over 128 KiB (E2BIG). Both are refused with their YAML path and line, by the
 * config loader and again by the spec schema the head checks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../../shared/config/parse-config.ts';
import { BatchSpecSchema, MAX_ARG_BYTES, unsafeArgReason } from '../../../../shared/batch/spec.ts';
import { META, tempDirWith, yaml } from './helpers.ts';

test('a NUL byte and an oversized command are refused with path and line, every problem at once', () => {
  const text = yaml(...META, 'shell:', '  initialize:', '    build: "make\\0 all"', '  jobs:',
    '    - name: nul', '      command: "echo a\\0b"',
    '    - name: big', `      command: "echo ${'x'.repeat(300_000)}"`,
    '    - name: fine', `      command: "echo ${'y'.repeat(MAX_ARG_BYTES - 5)}"`);
  const result = parseConfig(text, { baseDir: tempDirWith() });
  assert.deepEqual(result, {
    ok: false, problems: [
      { path: 'shell.initialize.build', line: 7, message: 'must not contain a NUL byte (found at character 5)' },
      { path: 'shell.jobs[0].command', line: 10, message: 'must not contain a NUL byte (found at character 7)' },
      { path: 'shell.jobs[1].command', line: 12, message: 'is 300005 bytes long; at most 131072 bytes (128 KiB) are allowed' },
    ],
  });
});

test('the limit counts UTF-8 bytes, not characters', () => {
  assert.equal(unsafeArgReason('é'.repeat(MAX_ARG_BYTES / 2)), null);
  assert.match(unsafeArgReason('é'.repeat(MAX_ARG_BYTES / 2 + 1)) ?? '', /is 131074 bytes long/);
});

test('the head\'s spec schema refuses the same strings (a client that skips the loader gains nothing)', () => {
  const spec = {
    namespace: 'ns', name: 'b', kind: 'shell', capabilities: ['ok', 'ca\u0000p'], resources: {}, maxRetries: 0, requiredMounts: [],
    initFiles: [], buildCommand: 'x'.repeat(MAX_ARG_BYTES + 1), jobs: [{ name: 'j', command: 'a\u0000', files: [] }],
  };
  const parsed = BatchSpecSchema.safeParse(spec);
  assert.equal(parsed.success, false);
  assert.deepEqual(parsed.error?.issues.map((i) => [i.path.join('.'), i.message]), [
    ['capabilities.1', "'ca\\x00p' must not contain NUL or control characters"],
    ['buildCommand', 'is 131073 bytes long; at most 131072 bytes (128 KiB) are allowed'],
    ['jobs.0.command', 'must not contain a NUL byte (found at character 2)'],
  ]);
});
