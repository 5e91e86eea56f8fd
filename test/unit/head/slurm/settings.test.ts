import { test } from 'node:test';
import assert from 'node:assert/strict';
import { badSettingReason, groupBySettings, mergeSettings, sbatchLines } from '../../../../head/slurm/settings.ts';

test('mergeSettings: later layers win, undefined never overrides', () => {
  const merged = mergeSettings({ nodes: 1, ntasks: 1 }, { ntasks: 4, time: '01:00:00' }, { time: '02:00:00', partition: undefined });
  assert.deepEqual(merged, { nodes: 1, ntasks: 4, time: '02:00:00' });
});

test('groupBySettings: equal settings share a group regardless of key order, config order kept', () => {
  const groups = groupBySettings([
    { job: 'a', settings: { time: '1', ntasks: 2 } },
    { job: 'b', settings: { ntasks: 3 } },
    { job: 'c', settings: { ntasks: 2, time: '1' } },
    { job: 'd', settings: { ntasks: 3 } },
  ]);
  assert.deepEqual(groups.map((g) => g.jobs), [['a', 'c'], ['b', 'd']]);
});

test('sbatchLines: fixed option order, values with blanks quoted', () => {
  assert.deepEqual(sbatchLines({ time: '1:00', job_name: 'my job', cpus_per_task: 4 }), [
    '#SBATCH --job-name="my job"',
    '#SBATCH --cpus-per-task=4',
    '#SBATCH --time=1:00',
  ]);
  assert.deepEqual(sbatchLines({}), []);
});

test('badSettingReason refuses values that would break an #SBATCH line', () => {
  assert.equal(badSettingReason({ ntasks: 4, time: '01:00:00' }), null);
  assert.match(badSettingReason({ partition: 'a\n#SBATCH --x' }) ?? '', /line breaks/);
  assert.match(badSettingReason({ ntasks: 0 }) ?? '', /positive integer/);
  assert.match(badSettingReason({ nodes: 1.5 }) ?? '', /positive integer/);
  assert.match(badSettingReason({ account: '  ' }) ?? '', /empty/);
  assert.match(badSettingReason({ job_name: 'a"b' }) ?? '', /must not contain/);
});
