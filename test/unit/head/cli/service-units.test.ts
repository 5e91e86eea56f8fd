/** systemd unit text: quoting of ExecStart words and the settings each unit depends on. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agentUnit, execWord, headUnit } from '../../../../head/cli/service-units.ts';

const BASE = { node: '/usr/bin/node', bin: '/usr/lib/node_modules/distribute/bin/distribute.js', user: 'distribute' };

test('ExecStart words: plain when safe, quoted with escapes otherwise; % and $ doubled', () => {
  assert.equal(execWord('/var/lib/distribute'), '/var/lib/distribute');
  assert.equal(execWord('http://lab:8952'), 'http://lab:8952');
  assert.equal(execWord('my tag'), '"my tag"');
  assert.equal(execWord('a"b\\c'), '"a\\"b\\\\c"');
  assert.equal(execWord('50%'), '50%%');
  assert.equal(execWord('$HOME'), '"$$HOME"');
  assert.equal(execWord(''), '""');
  assert.throws(() => execWord('a\nb'), /line break/);
});

test('the head unit runs distribute server with the given folder, host and port, restarting on failure', () => {
  const unit = headUnit({ ...BASE, data: '/srv/distribute', host: '0.0.0.0', port: 8952 });
  assert.match(unit, /^ExecStart=\/usr\/bin\/node \/usr\/lib\/node_modules\/distribute\/bin\/distribute\.js server --data \/srv\/distribute --host 0\.0\.0\.0 --port 8952$/m);
  assert.match(unit, /^User=distribute$/m);
  assert.match(unit, /^Restart=on-failure$/m);
  assert.match(unit, /^WantedBy=multi-user\.target$/m);
});

test('the agent unit signals only the agent on stop (it hands its job back), or nothing else with keep', () => {
  const opts = { ...BASE, head: 'http://lab:8952', tokenFile: '/etc/distribute/agent-token', workdir: '/scratch/d', tags: ['gpu', 'big mem'], onExit: 'requeue' as const };
  const unit = agentUnit(opts);
  assert.match(unit, /^ExecStart=.* agent --head http:\/\/lab:8952 --token-file \/etc\/distribute\/agent-token --workdir \/scratch\/d --tag gpu --tag "big mem" --on-exit requeue$/m);
  assert.match(unit, /^KillMode=mixed$/m);
  assert.match(agentUnit({ ...opts, onExit: 'keep' }), /^KillMode=process$/m);
});
