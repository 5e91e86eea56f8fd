/**
 * `add` and `wait` run without commander for plain command lines (head/cli/quick-args.ts): the
 * compiled CLI keeps their usage errors, exit codes and help, and `add` reads every config
 * (plain YAML through shared/config/simple-yaml.ts, the rest through yaml) with the same verdict.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { cli, tempDir } from '../helpers/cluster.ts';

const tmp = tempDir('cli-quick');
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
/** No head from the caller's shell; port 1 on loopback refuses connections. */
const NO_HEAD = { DISTRIBUTE_HEAD: 'http://127.0.0.1:1', DISTRIBUTE_TOKEN: 't', DISTRIBUTE_TOKEN_FILE: '', DISTRIBUTE_DATA: path.join(tmp, 'none') };

function config(name: string, text: string): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, text);
  return file;
}

test('add and wait: usage errors exit 2, an unreachable head 3, --help 0', async () => {
  const plain = config('plain.yaml', 'meta:\n  batch_name: b\n  namespace: ns\n  capabilities: []\nshell:\n  jobs:\n    - { name: a, command: "true" }\n');
  const cases: { args: string[]; code: number; out: RegExp }[] = [
    { args: ['add'], code: 2, out: /missing required argument 'config'/ },
    { args: ['wait'], code: 2, out: /missing required argument 'batch'/ },
    { args: ['add', path.join(tmp, 'none.yaml')], code: 2, out: /none\.yaml' not found/ },
    { args: ['add', plain, '--bogus'], code: 2, out: /unknown option '--bogus'/ },
    { args: ['wait', 'b', '--interval', '0.01'], code: 2, out: /--interval: '0\.01' is not a number of seconds/ },
    { args: ['wait', 'b', '--timeout=soon'], code: 2, out: /--timeout:/ },
    { args: ['add', plain], code: 3, out: /cannot reach the head at http:\/\/127\.0\.0\.1:1/ },
    { args: ['wait', 'b', '--json'], code: 3, out: /cannot reach the head/ },
    { args: ['add', '--help'], code: 0, out: /Usage: distribute add \[options\] <config>[\s\S]*--dry-run/ },
    { args: ['wait', '--help'], code: 0, out: /--interval <seconds>[\s\S]*\(default: "1"\)/ },
  ];
  for (const c of cases) {
    const r = await cli(c.args, NO_HEAD);
    assert.equal(r.code, c.code, `${c.args.join(' ')}: ${r.stderr}${r.stdout}`);
    assert.match(r.stderr + r.stdout, c.out, c.args.join(' '));
  }
});

test('add --dry-run gives the same verdict for plain YAML and for what only yaml reads', async () => {
  const plain = config('a.yaml', 'meta:\n  batch_name: b\n  namespace: ns\n  capabilities: []\nshell:\n  jobs:\n    - { name: a, command: "echo 1" }\n    - name: b\n      command: echo 2\n');
  // Anchors and a merge key: left to yaml by the simple reader, the same config in the end.
  const anchored = config('b.yaml', 'meta:\n  batch_name: b\n  namespace: ns\n  capabilities: []\nshell:\n  jobs:\n    - &first { name: a, command: "echo 1" }\n    - <<: *first\n      name: b\n      command: echo 2\n');
  const summaries = [];
  for (const file of [plain, anchored]) {
    const r = await cli(['add', file, '--dry-run', '--json'], NO_HEAD);
    assert.equal(r.code, 0, r.stderr);
    summaries.push(JSON.parse(r.stdout));
  }
  assert.deepEqual(summaries[0], summaries[1]);
  assert.equal(summaries[0].jobs, 2);
  // A problem gets its line, whichever reader took the text first.
  const dup = config('dup.yaml', 'meta:\n  batch_name: b\n  namespace: ns\n  capabilities: []\nshell:\n  jobs:\n    - { name: a, command: x }\n    - { name: a, command: y }\n');
  const r = await cli(['add', dup, '--dry-run'], NO_HEAD);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /shell\.jobs\[1\]\.name: duplicate job name 'a' \(first used by shell\.jobs\[0\] on line 7\) \(line 8\)/);
});
