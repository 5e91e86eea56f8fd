/** loadConfig on real files (the fixtures) and formatProblems' one-line-per-problem output. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatProblems, loadConfig } from '../../../../shared/config/load.ts';
import { removeDir, tempDirWith } from './helpers.ts';

const fixtures = resolve(dirname(fileURLToPath(import.meta.url)), '../../../fixtures/configs');
const dirs: string[] = [];
after(() => dirs.forEach(removeDir));

test('loadConfig resolves files against the config folder, whatever the working directory', async () => {
  const cfg = join(fixtures, 'python-sweep', 'distribute-jobs.yaml');
  // A relative path from the process cwd, so the config folder differs from cwd.
  const result = await loadConfig(relative(process.cwd(), cfg));
  assert.ok(result.ok, result.ok ? '' : formatProblems(result.problems));
  const { config } = result;
  assert.equal(config.source, cfg);
  assert.equal(config.section.kind, 'python');
  if (config.section.kind !== 'python') return;
  assert.deepEqual(config.section.initialize.build_file, { path: join(fixtures, 'python-sweep', 'build.py'), alias: 'build.py' });
  assert.deepEqual(config.section.jobs.map((j) => [j.name, j.file.alias, j.required_files[0].alias, j.required_files[0].path]), [
    ['job_1', 'run.py', 'params.json', join(fixtures, 'python-sweep', 'params_1.json')],
    ['job_2', 'run.py', 'params.json', join(fixtures, 'python-sweep', 'params_2.json')],
    ['job_3', 'run.py', 'params.json', join(fixtures, 'python-sweep', 'params_3.json')],
  ]);
});

test('the shell fixture loads', async () => {
  const result = await loadConfig(join(fixtures, 'shell-sweep', 'distribute-jobs.yaml'));
  assert.ok(result.ok, result.ok ? '' : formatProblems(result.problems));
  assert.deepEqual(result.config.meta.resources, { cpus: 1 });
  assert.equal(result.config.meta.max_retries, 1);
  assert.deepEqual(result.config.slurm, { time: '00:10:00' });
});

test('the invalid fixture reports every problem, formatted one per line', async () => {
  const result = await loadConfig(join(fixtures, 'invalid', 'distribute-jobs.yaml'));
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.equal(formatProblems(result.problems, 'distribute-jobs.yaml'), [
    "distribute-jobs.yaml: meta.batch_name: batch_name '../escape' must not contain '/' or '\\' (line 3)",
    "distribute-jobs.yaml: meta.capabilities: expected a list of strings, got a string ('python3') (line 5)",
    "distribute-jobs.yaml: python.jobs[0].file: file 'missing.py' not found (line 9)",
    "distribute-jobs.yaml: python.jobs[1].name: duplicate job name 'job_1' (first used by python.jobs[0] on line 8) (line 10)",
    "distribute-jobs.yaml: python.jobs[1].file: file 'missing.py' not found (line 11)",
    "distribute-jobs.yaml: python.jobs[1].colour: unknown key 'colour'; expected one of: name, file, required_files, request, slurm (line 12)",
  ].join('\n'));
});

test('a missing or unreadable config is a problem, not a throw', async () => {
  const dir = tempDirWith();
  dirs.push(dir);
  assert.deepEqual(await loadConfig(join(dir, 'nope.yaml')), {
    ok: false, problems: [{ path: '', message: `config '${join(dir, 'nope.yaml')}' not found` }],
  });
  assert.deepEqual(await loadConfig(dir), {
    ok: false, problems: [{ path: '', message: `config '${dir}' is not a regular file` }],
  });
});

test('formatProblems without a file name, without a path, without a line', () => {
  assert.equal(formatProblems([
    { path: 'python.jobs[3].file', line: 41, message: "file 'run7.py' not found" },
    { path: '', line: 2, message: 'malformed YAML: oops' },
    { path: 'meta', message: "missing required key 'meta'" },
  ]), [
    "python.jobs[3].file: file 'run7.py' not found (line 41)",
    'malformed YAML: oops (line 2)',
    "meta: missing required key 'meta'",
  ].join('\n'));
  assert.equal(formatProblems([]), '');
});
