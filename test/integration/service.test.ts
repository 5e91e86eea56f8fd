/**
 * `distribute service head|agent` writes units that systemd itself accepts: `systemd-analyze
 * verify` (Debian package systemd) checks syntax, settings and that ExecStart's binary exists.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { cli, tempDir } from '../helpers/cluster.ts';

const ANALYZE = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => fs.existsSync(p));

test('the head and agent units pass systemd-analyze verify', async (t) => {
  const dir = tempDir('service');
  const head = path.join(dir, 'distribute-head.service');
  const agent = path.join(dir, 'distribute-agent.service');
  const h = await cli(['service', 'head', '--data', '/srv/distribute', '--output', head]);
  assert.equal(h.code, 0, h.stderr);
  assert.match(h.stderr, /systemctl enable --now distribute-head/);
  const a = await cli(['service', 'agent', '--head', 'lab-server:8952', '--token-file', '/etc/distribute/agent-token', '--tag', 'gpu', '--tag', 'two words', '--output', agent]);
  assert.equal(a.code, 0, a.stderr);
  assert.match(fs.readFileSync(agent, 'utf8'), /--head http:\/\/lab-server:8952 /);
  const again = await cli(['service', 'head', '--output', head]);
  assert.equal(again.code, 2, 'an existing unit is not overwritten without --force');
  assert.match(again.stderr, /already exists; use --force/);
  if (!ANALYZE) {
    t.skip('systemd-analyze is not installed (Debian package systemd); the unit text is checked by test/unit/head/cli/service-units.test.ts');
    return;
  }
  const r = spawnSync(ANALYZE, ['verify', head, agent], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr.trim(), '', 'no warnings either');
});

test('systemd-analyze verify rejects a broken unit (the check above can fail)', (t) => {
  if (!ANALYZE) {
    t.skip('systemd-analyze is not installed (Debian package systemd)');
    return;
  }
  const bad = path.join(tempDir('service-bad'), 'broken.service');
  fs.writeFileSync(bad, '[Service]\nExecStart=not/absolute --flag\n');
  const r = spawnSync(ANALYZE, ['verify', bad], { encoding: 'utf8' });
  assert.notEqual(r.status, 0);
});
