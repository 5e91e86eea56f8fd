/**
 * The packages build/compile.mjs bundles into dist/vendor/ keep their licence (MIT and ISC ask the
 * notice to travel with every copy) and export what the compiled code imports from them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../helpers/built.ts';

for (const name of ['zod', 'yaml']) {
  test(`dist/vendor/${name}.js opens with the package's licence text`, () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string; license: string };
    const text = fs.readFileSync(path.join(ROOT, 'dist', 'vendor', `${name}.js`), 'utf8');
    assert.ok(text.startsWith(`/*! ${name} ${pkg.version} (${pkg.license})`), text.slice(0, 80));
    const licence = fs.readFileSync(path.join(ROOT, 'node_modules', name, 'LICENSE'), 'utf8');
    const copyright = licence.split('\n').find((l) => /copyright/i.test(l))!;
    assert.ok(text.slice(0, text.indexOf('*/')).includes(copyright.trim()), `keeps '${copyright.trim()}'`);
  });
}

test('the vendored yaml parses a config as the package does, line numbers included', async () => {
  const vendored = await import(path.join(ROOT, 'dist', 'vendor', 'yaml.js'));
  const original = await import('yaml');
  const text = 'meta:\n  batch_name: t\nshell:\n  jobs:\n    - { name: a, command: "true" }\n    - name: b\n      command: x\n';
  for (const y of [vendored, original]) {
    const lines = new y.LineCounter();
    const doc = y.parseDocument(text, { lineCounter: lines, keepSourceTokens: true, merge: true });
    assert.deepEqual(doc.toJS(), { meta: { batch_name: 't' }, shell: { jobs: [{ name: 'a', command: 'true' }, { name: 'b', command: 'x' }] } });
    const b = doc.getIn(['shell', 'jobs', 1, 'name'], true);
    assert.ok(y.isScalar(b));
    assert.equal(lines.linePos(b.range[0]).line, 6);
  }
});
