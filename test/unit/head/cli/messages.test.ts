/** Small CLI wordings a new user reads: counts in the right number, resume of a job that never started, the user table. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { count } from '../../../../head/cli/client.ts';
import { afterResume } from '../../../../head/cli/resume.ts';
import { userTable } from '../../../../head/cli/user.ts';

test('counts agree with their noun', () => {
  assert.equal(count(1, 'file'), '1 file');
  assert.equal(count(0, 'file'), '0 files');
  assert.equal(count(3, 'batch', 'batches'), '3 batches');
});

test('resume says a job continues only when it had started running', () => {
  const job = { namespace: 'ns', batch: 'b', job: 'o1' };
  assert.equal(afterResume({ ...job, phase: 'running' }), 'ns/b o1 continues');
  assert.equal(afterResume({ ...job, phase: 'downloading' }), 'ns/b o1 had not started (it was downloading); it goes on now');
  assert.doesNotMatch(afterResume({ ...job, phase: 'building' }), /continues/);
});

test('user list shows the admin flag of every user', () => {
  const out = userTable([{ name: 'alice', admin: true, createdAt: 0 }, { name: 'bob', admin: false, createdAt: 0 }]);
  assert.match(out, /^user\s+admin\s+created$/m);
  assert.match(out, /^alice\s+yes\s+1970-01-01 00:00$/m);
  assert.match(out, /^bob\s+no\s+/m);
});

test('template says "an apptainer" and "a python" config', async () => {
  const { writeTemplate } = await import('../../../../head/cli/template.ts');
  const fs = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distribute-tpl-'));
  for (const [kind, article] of [['apptainer', 'an'], ['python', 'a']] as const) {
    let said = '';
    const err = { write: (s: string) => { said += s; return true; } } as unknown as NodeJS.WritableStream;
    assert.equal(writeTemplate(kind, { output: path.join(dir, `${kind}.yaml`) }, process.stdout, err), 0);
    assert.match(said, new RegExp(`^Wrote ${article} ${kind} starter config`));
  }
  fs.rmSync(dir, { recursive: true, force: true });
});
