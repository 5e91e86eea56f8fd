/**
 * Node names, owners and tags (and user names) holding newlines, ANSI escapes, C1 controls, bidi
 * overrides or nothing but spaces are refused with a clear error: by the head when a hostile
 * client says hello, by `distribute agent` before it connects, and by `user add`.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { AGENT_WS_PATH, CloseCode, PROTOCOL_VERSION } from '../../shared/protocol/index.ts';
import { routes } from '../../shared/api/routes.ts';
import { api, cli, startHeadProc, stop, tempDir, type HeadProc } from '../helpers/cluster.ts';
import { envFor } from '../helpers/shell-batch.ts';

let head: HeadProc;

before(async () => {
  head = await startHeadProc(tempDir('names'));
});

after(async () => {
  await stop(head);
});

function helloClose(fields: Record<string, unknown>): Promise<{ code: number; reason: string }> {
  const token = fs.readFileSync(head.agentTokenFile, 'utf8').trim();
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(head.url.replace('http', 'ws') + AGENT_WS_PATH, { headers: { authorization: `Bearer ${token}` } });
    ws.on('open', () => ws.send(JSON.stringify({
      type: 'hello', protocol: PROTOCOL_VERSION, agentVersion: 'x', name: 'ok-node', held: [], built: [],
      capabilities: { tags: [], physicalCores: 1, logicalCores: 1, memoryBytes: 1, gpus: [] }, ...fields,
    })));
    ws.on('message', () => { ws.close(); resolve({ code: -1, reason: 'welcomed' }); });
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    ws.on('error', reject);
  });
}

const caps = (tags: string[]) => ({ tags, physicalCores: 1, logicalCores: 1, memoryBytes: 1, gpus: [] });

test('the head refuses hellos whose node name, owner or tags could inject into logs and terminals', async () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ name: 'evil\nnode' }, /name: 'evil\\x0anode' must not contain NUL or control characters/],
    [{ name: '\u001b[31mred' }, /name: '\\x1b\[31mred' must not contain NUL or control characters/],
    [{ name: '   ' }, /name: '   ' must contain something other than spaces/],
    [{ name: 'a\u202eb' }, /name: 'a\\u202eb' must not contain bidirectional override/],
    [{ name: 'c1\u0085' }, /name: 'c1\\x85' must not contain NUL or control characters/],
    [{ owner: 'ali\u001b]0;pwned\u0007ce' }, /owner: .* must not contain NUL or control characters/],
    [{ capabilities: caps(['gpu', 'x\ny']) }, /capabilities\.tags\.1: 'x\\x0ay' must not contain NUL or control characters/],
  ];
  for (const [fields, reason] of cases) {
    const closed = await helloClose(fields);
    assert.equal(closed.code, CloseCode.badMessage, JSON.stringify(fields));
    assert.match(closed.reason, reason);
  }
  assert.deepEqual((await api(head, routes.nodes())).body.nodes, [], 'no node was registered');
  assert.ok(!/\u001b|evil\nnode/.test(head.output()), 'nothing raw reached the head log');
});

test('distribute agent refuses such a name, owner or tag itself (exit 2)', async () => {
  for (const [args, message] of [
    [['--name', 'a\u001b[2Jb'], /node name 'a\\x1b\[2Jb' must not contain NUL or control characters/],
    [['--name', 'ok', '--owner', ' '], /owner ' ' must contain something other than spaces/],
    [['--name', 'ok', '--tag', 'gpu\u2066'], /tag 'gpu\\u2066' must not contain bidirectional/],
  ] as const) {
    const r = await cli(['agent', '--head', head.url, '--token-file', head.agentTokenFile, '--workdir', tempDir('names-agent'), ...args]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, message);
  }
});

test('user add refuses names of only spaces, C1 controls and bidi overrides', async () => {
  for (const name of ['   ', 'bob\u009b', 'eve\u202e']) {
    const r = await cli(['user', 'add', name], envFor(head));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /user name '.*' must (not contain|contain something)/);
  }
});
