import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManifestSchema } from '../../../../shared/api/head-api.ts';
import { HeadClient } from '../../../../shared/api/head-client.ts';
import { manifestParser } from '../../../../shared/api/manifest-check.ts';
import { fakeTransport } from './fake-transport.ts';
import { paths, replaced, WRONG } from './mutants.ts';

const sha = 'ab'.repeat(32);
const manifest = {
  id: 'b1', namespace: 'ns', batch: 'sweep', pending: ['j3'],
  files: [
    { job: 'j1', path: 'out/a.bin', size: 4096, sha256: sha },
    { job: 'j2', path: '_distribute/result.json', size: 0, sha256: sha },
  ],
};
const BAD_PATHS = ['../x', '/etc/passwd', 'a/../../b', 'a\\b', 'a/./b', 'a//b', '.', '..', 'x\u0000', 'x'.repeat(300), 'ok/name'];
const BAD_NAMES = ['..', '.', 'a/b', '', 'x'.repeat(300), 'ok'];

test('the manifest check gives zod\'s verdict and output for the sample and every one-field corruption of it', () => {
  const mutants: unknown[] = [manifest];
  for (const at of paths(manifest)) {
    for (const wrong of [...WRONG, ...BAD_PATHS, ...BAD_NAMES, 2 ** 53, Number.NaN, 'AB'.repeat(32)]) mutants.push(replaced(manifest, at, wrong));
    mutants.push(replaced(manifest, [...at, 'unknownKey'], 1));
  }
  let refused = 0;
  for (const m of mutants) {
    const viaZod = ManifestSchema.safeParse(m);
    const viaHand = manifestParser.safeParse(m);
    assert.equal(viaHand.success, viaZod.success, `${JSON.stringify(m)}: zod says ${viaZod.success}, the check ${viaHand.success}`);
    if (viaHand.success) assert.deepEqual(viaHand.data, viaZod.data, 'same output as zod');
    else {
      refused++;
      // The same first problem, by place.
      assert.deepEqual(viaHand.error.issues[0].path, viaZod.error!.issues[0].path, JSON.stringify(m));
    }
  }
  assert.ok(mutants.length > 500 && refused > 300, `${mutants.length} compared, ${refused} refused`);
});

test('the client refuses a manifest with an unsafe path, naming the field', async () => {
  const bad = replaced(manifest, ['files', 1, 'path'], '../../etc/passwd');
  const { transport } = fakeTransport({ 'GET /api/batches/b1/manifest': { status: 200, body: bad } });
  const r = await new HeadClient({ base: 'http://head:1', token: 't', transport }).manifest('b1');
  assert.equal(!r.ok && r.error.kind, 'bad-response');
  assert.match(!r.ok ? r.error.message : '', /^the head sent a manifest the client refuses: files\.1\.path: /);
});
