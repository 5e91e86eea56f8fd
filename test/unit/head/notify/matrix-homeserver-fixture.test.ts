// The stand-in homeserver must behave as the spec says, or the notifier tests prove nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startMatrixHomeserver } from '../../../fixtures/matrix-homeserver.ts';

const BOT = '@bot:test.local';

async function call(url: string, method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; json: any }> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

test('login, auth errors, account data, createRoom and txn idempotency follow the spec', async () => {
  const hs = await startMatrixHomeserver({ users: [{ userId: BOT, password: 'pw' }] });
  try {
    const bad = await call(hs.url, 'POST', '/_matrix/client/v3/login', { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'bot' }, password: 'nope' });
    assert.equal(bad.status, 403);
    assert.equal(bad.json.errcode, 'M_FORBIDDEN');

    const login = await call(hs.url, 'POST', '/_matrix/client/v3/login', { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'bot' }, password: 'pw', device_id: 'DEV1' });
    assert.equal(login.status, 200);
    assert.equal(login.json.user_id, BOT);
    assert.equal(login.json.device_id, 'DEV1');
    const token: string = login.json.access_token;
    assert.ok(token);

    const direct = `/_matrix/client/v3/user/${encodeURIComponent(BOT)}/account_data/m.direct`;
    assert.equal((await call(hs.url, 'GET', direct)).json.errcode, 'M_MISSING_TOKEN');
    const unknown = await call(hs.url, 'GET', direct, undefined, 'forged');
    assert.equal(unknown.status, 401);
    assert.equal(unknown.json.errcode, 'M_UNKNOWN_TOKEN');
    const absent = await call(hs.url, 'GET', direct, undefined, token);
    assert.equal(absent.status, 404);
    assert.equal(absent.json.errcode, 'M_NOT_FOUND');
    assert.equal((await call(hs.url, 'GET', `/_matrix/client/v3/user/${encodeURIComponent('@other:test.local')}/account_data/m.direct`, undefined, token)).status, 403);

    const created = await call(hs.url, 'POST', '/_matrix/client/v3/createRoom', { is_direct: true, invite: ['@alice:test.local'], preset: 'trusted_private_chat' }, token);
    assert.equal(created.status, 200);
    const roomId: string = created.json.room_id;
    assert.match(roomId, /^!.+:test\.local$/);
    assert.deepEqual([...hs.rooms.get(roomId)!.invited], ['@alice:test.local']);

    assert.equal((await call(hs.url, 'PUT', direct, { '@alice:test.local': [roomId] }, token)).status, 200);
    assert.deepEqual((await call(hs.url, 'GET', direct, undefined, token)).json, { '@alice:test.local': [roomId] });

    const send = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t%2F1`;
    const first = await call(hs.url, 'PUT', send, { msgtype: 'm.text', body: 'hi' }, token);
    const again = await call(hs.url, 'PUT', send, { msgtype: 'm.text', body: 'hi' }, token);
    assert.equal(first.status, 200);
    assert.equal(again.json.event_id, first.json.event_id);
    assert.equal(hs.rooms.get(roomId)!.events.length, 1);
    assert.equal(hs.rooms.get(roomId)!.events[0].txnId, 't/1');
    // Another device may reuse the txn id: it is a new event.
    const other = hs.issueToken(BOT);
    const third = await call(hs.url, 'PUT', send, { msgtype: 'm.text', body: 'hi' }, other);
    assert.notEqual(third.json.event_id, first.json.event_id);
    assert.equal(hs.rooms.get(roomId)!.events.length, 2);

    const notMember = await call(hs.url, 'PUT', `/_matrix/client/v3/rooms/${encodeURIComponent('!nope:test.local')}/send/m.room.message/x`, { body: 'x' }, token);
    assert.equal(notMember.status, 403);
    assert.equal((await call(hs.url, 'POST', '/_matrix/client/v3/createRoom', [], token)).json.errcode, 'M_NOT_JSON');
    assert.equal((await call(hs.url, 'GET', '/_matrix/client/v3/nothing', undefined, token)).json.errcode, 'M_UNRECOGNIZED');

    hs.revokeTokens(BOT);
    assert.equal((await call(hs.url, 'GET', direct, undefined, token)).json.errcode, 'M_UNKNOWN_TOKEN');
    assert.equal(hs.requests.at(-1)!.token, token);
    assert.equal(hs.requests.at(-1)!.status, 401);
  } finally {
    await hs.close();
  }
});

test('failNext fails before or after handling; down/up closes and reopens the port', async () => {
  const hs = await startMatrixHomeserver({ users: [{ userId: BOT, password: 'pw' }] });
  try {
    const token = hs.issueToken(BOT);
    const createRoom = () => call(hs.url, 'POST', '/_matrix/client/v3/createRoom', {}, token);
    hs.failNext(1);
    assert.equal((await createRoom()).status, 500);
    assert.equal(hs.rooms.size, 0, 'failing before handling changes nothing');
    hs.failNext(1, { afterHandling: true, status: 502 });
    assert.equal((await createRoom()).status, 502);
    assert.equal(hs.rooms.size, 1, 'failing after handling commits the change');
    hs.failNext(1, { only: /\/send\// });
    assert.equal((await createRoom()).status, 200, 'only matching paths fail');

    await hs.down();
    await assert.rejects(createRoom(), /fetch failed/);
    await hs.up();
    assert.equal((await createRoom()).status, 200);
  } finally {
    await hs.close();
  }
});
