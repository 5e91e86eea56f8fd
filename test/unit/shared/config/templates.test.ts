/** Every starter config validates once the files it names exist, and names exactly those files. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatProblems } from '../../../../shared/config/load.ts';
import { parseConfig } from '../../../../shared/config/parse-config.ts';
import { configFiles } from '../../../../shared/config/to-spec.ts';
import { TEMPLATES } from '../../../../shared/config/templates.ts';
import { SECTION_KINDS } from '../../../../shared/config/job-sections.ts';
import { removeDir, tempDirWith } from './helpers.ts';

const dirs: string[] = [];
after(() => dirs.forEach(removeDir));

for (const kind of SECTION_KINDS) {
  test(`the ${kind} template validates with its files present`, () => {
    const template = TEMPLATES[kind];
    const dir = tempDirWith(template.files);
    dirs.push(dir);
    writeFileSync(join(dir, 'distribute-jobs.yaml'), template.text);
    const result = parseConfig(template.text, { baseDir: dir });
    assert.ok(result.ok, result.ok ? '' : formatProblems(result.problems));
    assert.equal(result.config.section.kind, kind);
    assert.deepEqual(new Set(configFiles(result.config)), new Set(template.files.map((f) => join(dir, f))));
    // Comments are the point of a template: every section explains itself.
    assert.ok(template.text.split('\n').filter((l) => l.trimStart().startsWith('#')).length >= 20);
  });

  test(`the ${kind} template without its files reports each missing file`, () => {
    const dir = tempDirWith();
    dirs.push(dir);
    const result = parseConfig(TEMPLATES[kind].text, { baseDir: dir });
    assert.equal(result.ok, false);
    if (result.ok) return;
    const missing = result.problems.map((p) => /^file '(.*)' not found$/.exec(p.message)?.[1]);
    assert.deepEqual(new Set(missing), new Set(TEMPLATES[kind].files));
  });
}
