/**
 * Generated config fuzz set (issue 12): 160 configs built from a seed by mutating a valid shell
 * batch: hostile strings in every name, NUL bytes and oversized commands, wrong types, unknown
 * keys, bad numbers, broken YAML. Each goes through the real loader (`parseConfig`) and, when the
 * loader accepts it, through the spec schema the head checks. The verdict: 0 crashes (nothing
 * throws), 0 wrongly accepted (every hostile mutation is refused with a problem at the mutated
 * path), and the benign mutations are all accepted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../shared/config/parse-config.ts';
import { configToSpec } from '../../shared/config/to-spec.ts';
import { BatchSpecSchema, MAX_ARG_BYTES } from '../../shared/batch/spec.ts';
import { HOSTILE_LABELS, HOSTILE_STRINGS, Rng } from './fuzz-rng.ts';

const SEED = 12_2026;
const COUNT = 160;

type Doc = { meta: Record<string, unknown>; shell: { initialize: Record<string, unknown>; jobs: Record<string, unknown>[] } };

function base(): Doc {
  return {
    meta: { batch_name: 'fuzz', namespace: 'lab', capabilities: ['python3'], max_retries: 1 },
    shell: { initialize: { build: 'make all' }, jobs: [{ name: 'j0', command: 'echo 0' }, { name: 'j1', command: 'echo 1' }] },
  };
}

interface Case { text: string; hostile: boolean; what: string; path?: string }

/** One mutation per case; `path` is where the loader must report a hostile one. */
function generate(rng: Rng, n: number): Case {
  const doc = base();
  const s = () => rng.pick(HOSTILE_STRINGS);
  const job = rng.int(2);
  switch (n % 16) {
    case 0: { const v = s(); doc.meta.batch_name = v; return { text: JSON.stringify(doc), hostile: true, what: `batch_name ${JSON.stringify(v)}`, path: 'meta.batch_name' }; }
    case 1: { const v = s(); doc.meta.namespace = v; return { text: JSON.stringify(doc), hostile: true, what: `namespace ${JSON.stringify(v)}`, path: 'meta.namespace' }; }
    case 2: { const v = s(); doc.shell.jobs[job].name = v; return { text: JSON.stringify(doc), hostile: true, what: `job name ${JSON.stringify(v)}`, path: `shell.jobs[${job}].name` }; }
    case 3: { const at = rng.int(20); doc.shell.jobs[job].command = `echo ${'a'.repeat(at)}\u0000${'b'.repeat(rng.int(20))}`; return { text: JSON.stringify(doc), hostile: true, what: 'NUL in a command', path: `shell.jobs[${job}].command` }; }
    case 4: { doc.shell.jobs[job].command = `echo ${'x'.repeat(MAX_ARG_BYTES + rng.int(300_000))}`; return { text: JSON.stringify(doc), hostile: true, what: 'oversized command', path: `shell.jobs[${job}].command` }; }
    case 5: { doc.shell.initialize.build = rng.next() < 0.5 ? 'make\u0000' : 'x'.repeat(MAX_ARG_BYTES + 1 + rng.int(1000)); return { text: JSON.stringify(doc), hostile: true, what: 'bad build command', path: 'shell.initialize.build' }; }
    case 6: { doc.meta.max_retries = rng.pick([-1, 1.5, 1e9, 'three', null, [], {}]); return { text: JSON.stringify(doc), hostile: true, what: `max_retries ${JSON.stringify(doc.meta.max_retries)}`, path: 'meta.max_retries' }; }
    case 7: { const k = rng.pick(['evil', '__proto__x', 'constructor ', 'Batch_Name']); doc.meta[k] = 1; return { text: JSON.stringify(doc), hostile: true, what: `unknown key ${k}`, path: `meta.${k}` }; }
    case 8: { doc.shell.jobs[job].command = rng.pick([42.5, true, null, ['echo'], { run: 'x' }]); return { text: JSON.stringify(doc), hostile: !(typeof doc.shell.jobs[job].command === 'number'), what: `command ${JSON.stringify(doc.shell.jobs[job].command)}`, path: `shell.jobs[${job}].command` }; }
    case 9: { doc.shell.jobs[1].name = doc.shell.jobs[0].name; return { text: JSON.stringify(doc), hostile: true, what: 'duplicate job names', path: 'shell.jobs[1].name' }; }
    case 10: { const t = JSON.stringify(doc); const cut = 1 + rng.int(t.length - 2); return { text: t.slice(0, cut), hostile: true, what: `truncated at ${cut}` }; }
    case 11: { doc.meta.capabilities = [HOSTILE_STRINGS[rng.int(HOSTILE_LABELS)]]; return { text: JSON.stringify(doc), hostile: true, what: `capability ${JSON.stringify(doc.meta.capabilities)}`, path: 'meta.capabilities' }; }
    case 12: { doc.shell.jobs = []; return { text: JSON.stringify(doc), hostile: true, what: 'no jobs', path: 'shell.jobs' }; }
    case 13: { const d = doc as unknown as Record<string, unknown>; d.python = { jobs: [] }; return { text: JSON.stringify(d), hostile: true, what: 'two job sections' }; }
    // Benign: still valid after the mutation.
    case 14: { doc.shell.jobs[job].command = `echo ${'é'.repeat(rng.int(1000))} "quoted" $HOME | cat`; return { text: JSON.stringify(doc), hostile: false, what: 'unicode command' }; }
    default: { doc.shell.jobs.push({ name: `extra-${n}`, command: 'true' }); doc.meta.batch_name = `fuzz ${rng.int(1e6)}`; return { text: JSON.stringify(doc), hostile: false, what: 'extra job' }; }
  }
}

test(`${COUNT} generated configs (seed ${SEED}): 0 crashes, 0 wrongly accepted, benign ones accepted`, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distribute-fuzz-'));
  const rng = new Rng(SEED);
  const wrong: string[] = [];
  let hostile = 0;
  for (let n = 0; n < COUNT; n++) {
    const c = generate(rng, n);
    if (c.hostile) hostile++;
    let verdict: 'accepted' | 'refused';
    let problems: { path: string; message: string }[] = [];
    try {
      const r = parseConfig(c.text, { baseDir: dir });
      if (r.ok) {
        // The head checks the spec again; an accepted config must give a spec it accepts.
        const spec = BatchSpecSchema.safeParse(configToSpec(r.config, new Map()));
        verdict = spec.success ? 'accepted' : 'refused';
        if (!spec.success) wrong.push(`#${n} ${c.what}: loader accepted what the head refuses: ${spec.error.issues[0]?.message}`);
      } else {
        verdict = 'refused';
        problems = r.problems;
      }
    } catch (err) {
      wrong.push(`#${n} ${c.what}: crashed: ${(err as Error).stack}`);
      continue;
    }
    if (c.hostile && verdict === 'accepted') wrong.push(`#${n} ${c.what}: wrongly accepted`);
    if (!c.hostile && verdict === 'refused') wrong.push(`#${n} ${c.what}: valid config refused: ${JSON.stringify(problems)}`);
    if (c.hostile && c.path && verdict === 'refused' && !problems.some((p) => p.path.startsWith(c.path!)))
      wrong.push(`#${n} ${c.what}: no problem reported at ${c.path}: ${JSON.stringify(problems).slice(0, 300)}`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  assert.ok(hostile >= 100, `${hostile} hostile cases`);
  assert.deepEqual(wrong, []);
});
