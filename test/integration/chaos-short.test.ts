/**
 * The short chaos run (`npm run chaos -- --short`, about 60 s): a head and three agents run 30
 * jobs while the head is SIGKILLed and agents are SIGKILLed, SIGSTOPped past the node timeout and
 * SIGTERMed. Every check of chaos/checks.ts must pass: each job archived exactly once with the
 * right contents and stdout, pull byte-identical, no re-run caused by a head restart alone, no
 * orphan, no stack trace, state files that parse. CHAOS_SEED picks another seed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runChaos } from '../../chaos/chaos.ts';
import { formatReport } from '../../chaos/report.ts';
import { chaosPreset } from '../../chaos/run.ts';

test('a short chaos run loses nothing, duplicates nothing and re-runs nothing because of head restarts', async (t) => {
  const seed = Number(process.env.CHAOS_SEED ?? 20261130);
  const report = await runChaos({ ...chaosPreset(true), seed, log: (line) => t.diagnostic(line) });
  const text = formatReport(report);
  t.diagnostic(text);
  assert.ok(report.ok, text);
});
