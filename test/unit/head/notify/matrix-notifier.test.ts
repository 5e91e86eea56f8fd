// The notifier against the stand-in homeserver: real HTTP on loopback, no mocks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMatrixNotifier } from '../../../../head/notify/matrix-notifier.ts';
import { formatBatchMessage, type BatchSummary } from '../../../../head/notify/batch-summary.ts';
import type { MatrixConfig } from '../../../../head/notify/matrix-config.ts';
import { startMatrixHomeserver, type StandInHomeserver, type RecordedRequest } from '../../../fixtures/matrix-homeserver.ts';

const BOT = '@distribute:test.local';
const ALICE = '@alice:test.local';
const DIRECT_PATH = `/_matrix/client/v3/user/${BOT}/account_data/m.direct`;

function summary(patch: Partial<BatchSummary> = {}): BatchSummary {
  return {
    batchId: 'b1', namespace: 'lab', batch: 'sweep', owner: 'alice', matrixUser: ALICE, outcome: 'finished',
    succeeded: 9, failed: 1, cancelled: 0, total: 10, runMs: 125_000, headUrl: 'http://head:8080', ...patch,
  };
}

async function withServer(fn: (hs: StandInHomeserver, config: MatrixConfig) => Promise<void>): Promise<void> {
  const hs = await startMatrixHomeserver({ users: [{ userId: BOT, password: 'secret' }] });
  try {
    await fn(hs, { homeserver: hs.url, userId: BOT, password: 'secret' });
  } finally {
    await hs.close();
  }
}

const calls = (hs: StandInHomeserver) => hs.requests.map((r) => `${r.method} ${r.path.replace(/\/send\/m\.room\.message\/.*/, '/send')} ${r.status}`);
const sends = (hs: StandInHomeserver): RecordedRequest[] => hs.requests.filter((r) => r.path.includes('/send/m.room.message/'));
const txnOf = (r: RecordedRequest) => r.path.split('/').at(-1)!;

test('a finished batch: logs in, creates the DM room once, records it in m.direct, sends the message', async () => {
  await withServer(async (hs, config) => {
    const lines: string[] = [];
    const notifier = createMatrixNotifier(config, { log: (l) => lines.push(l), retryDelaysMs: [10] });
    const s = summary();
    const returned = notifier.notify(s);
    assert.equal(returned, undefined);
    assert.equal(hs.requests.length, 0, 'notify() returns before any request is made');
    await notifier.idle();

    assert.deepEqual(calls(hs), [
      'POST /_matrix/client/v3/login 200',
      `GET ${DIRECT_PATH} 404`,
      'POST /_matrix/client/v3/createRoom 200',
      `PUT ${DIRECT_PATH} 200`,
      `PUT /_matrix/client/v3/rooms/${[...hs.rooms.keys()][0]}/send 200`,
    ]);
    const login = hs.requests[0].body as any;
    assert.equal(login.type, 'm.login.password');
    assert.deepEqual(login.identifier, { type: 'm.id.user', user: BOT });
    assert.deepEqual(hs.requests[2].body, { is_direct: true, invite: [ALICE], preset: 'trusted_private_chat' });

    assert.equal(hs.rooms.size, 1);
    const room = [...hs.rooms.values()][0];
    assert.equal(room.isDirect, true);
    assert.deepEqual([...room.invited], [ALICE]);
    assert.deepEqual(hs.accountData(BOT, 'm.direct'), { [ALICE]: [room.roomId] });

    const expected = formatBatchMessage(s);
    assert.equal(room.events.length, 1);
    assert.deepEqual(room.events[0].content, { msgtype: 'm.text', body: expected.body, format: 'org.matrix.custom.html', formatted_body: expected.formatted });
    assert.match(room.events[0].content.body as string, /9 succeeded, 1 failed \(10 jobs\) in 2m 5s/);
    assert.match(room.events[0].content.body as string, /distribute pull --batch lab\/sweep/);
    assert.match(room.events[0].txnId, /^distribute\.[0-9a-f]{12}\.\d+\.1$/);
    assert.equal(sends(hs)[0].token, hs.requests[2].token, 'authenticated with the token from login');
    assert.equal(lines.length, 1);
    assert.match(lines[0], /^matrix: told @alice:test.local about batch lab\/sweep \(finished\) in !.+, event \$/);
    notifier.close();
  });
});

test('a build failure sends the tail of the build log', async () => {
  await withServer(async (hs, config) => {
    const notifier = createMatrixNotifier(config, { log: () => {} });
    const buildLog = Array.from({ length: 50 }, (_, i) => `compiling ${i}`).join('\n') + '\ngfortran: error: solver.f90: No such file';
    notifier.notify(summary({ outcome: 'build-failed', succeeded: 0, failed: 0, buildLog }));
    await notifier.idle();
    const event = [...hs.rooms.values()][0].events[0];
    assert.match(event.content.body as string, /build step failed on every node/);
    assert.match(event.content.body as string, /gfortran: error: solver\.f90: No such file/);
    assert.doesNotMatch(event.content.body as string, /compiling 5\n/);
    assert.match(event.content.formatted_body as string, /<pre><code>[^]*gfortran: error/);
    notifier.close();
  });
});

test('a second batch reuses the room; a restarted head finds it in m.direct', async () => {
  await withServer(async (hs, config) => {
    const notifier = createMatrixNotifier(config, { log: () => {} });
    notifier.notify(summary({ batch: 'first' }));
    notifier.notify(summary({ batch: 'second' }));
    await notifier.idle();
    notifier.close();
    assert.equal(hs.requests.filter((r) => r.path.endsWith('/createRoom')).length, 1);
    assert.equal(hs.requests.filter((r) => r.path.endsWith('/login')).length, 1);
    const room = [...hs.rooms.values()][0];
    assert.deepEqual(room.events.map((e) => /Batch lab\/(\w+)/.exec(e.content.body as string)![1]), ['first', 'second']);
    assert.notEqual(room.events[0].txnId, room.events[1].txnId, 'each message has its own txn id');

    const restarted = createMatrixNotifier(config, { log: () => {} });
    restarted.notify(summary({ batch: 'third' }));
    await restarted.idle();
    restarted.close();
    assert.equal(hs.rooms.size, 1, 'no second room after a restart');
    assert.equal(room.events.length, 3);
  });
});

test('500 twice after the server committed the send, then OK: delivered once thanks to the txn id', async () => {
  await withServer(async (hs, config) => {
    const lines: string[] = [];
    const notifier = createMatrixNotifier(config, { log: (l) => lines.push(l), retryDelaysMs: [15, 15, 15] });
    hs.failNext(2, { only: /\/send\//, afterHandling: true });
    notifier.notify(summary());
    await notifier.idle();
    notifier.close();

    const attempts = sends(hs);
    assert.deepEqual(attempts.map((r) => r.status), [500, 500, 200]);
    assert.equal(new Set(attempts.map(txnOf)).size, 1, 'the same txn id on every retry');
    assert.equal(new Set(attempts.map((r) => (r.response as any).event_id ?? null)).size, 2, 'the 200 carries the event id');
    const room = [...hs.rooms.values()][0];
    assert.equal(room.events.length, 1, 'stored once');
    assert.equal((attempts[2].response as any).event_id, room.events[0].eventId);
    assert.equal(hs.rooms.size, 1);

    assert.equal(lines.length, 3);
    assert.match(lines[0], /failed \(attempt 1\/4\): HTTP 500 M_UNKNOWN: .*; retrying in 15ms/);
    assert.match(lines[1], /failed \(attempt 2\/4\): HTTP 500/);
    assert.match(lines[2], /^matrix: told .* after 3 attempts$/);
  });
});

test('a rate limit (429 M_LIMIT_EXCEEDED) waits at least retry_after_ms', async () => {
  await withServer(async (hs, config) => {
    const lines: string[] = [];
    const notifier = createMatrixNotifier(config, { log: (l) => lines.push(l), retryDelaysMs: [1] });
    hs.failNext(1, { status: 429, retryAfterMs: 80, only: /createRoom/ });
    const started = performance.now();
    notifier.notify(summary());
    await notifier.idle();
    notifier.close();
    assert.ok(performance.now() - started >= 75, 'waited for the server\'s retry_after_ms');
    assert.match(lines[0], /HTTP 429 M_LIMIT_EXCEEDED: .*; retrying in 80ms/);
    assert.match(lines[1], /^matrix: told /);
    assert.equal(hs.rooms.size, 1);
  });
});

test('homeserver down: notify returns at once, failures are logged and retried, then given up, nothing throws', async () => {
  await withServer(async (hs, config) => {
    await hs.down();
    const lines: string[] = [];
    const notifier = createMatrixNotifier(config, { log: (l) => lines.push(l), retryDelaysMs: [10, 20] });
    const started = performance.now();
    notifier.notify(summary());
    const took = performance.now() - started;
    assert.equal(lines.length, 0, 'no attempt is made inside notify()');
    // Loose bound (loaded CI machines); the point is that it does not wait for a network attempt.
    assert.ok(took < 100, `notify() took ${took} ms`);
    await notifier.idle();
    notifier.close();
    assert.equal(lines.length, 3);
    assert.match(lines[0], /telling @alice:test.local about batch lab\/sweep failed \(attempt 1\/3\): network: ECONNREFUSED.*; retrying in 10ms/);
    assert.match(lines[1], /\(attempt 2\/3\): network: ECONNREFUSED.*; retrying in 20ms/);
    assert.match(lines[2], /giving up telling @alice:test.local about batch lab\/sweep \(attempt 3\/3 failed: network: ECONNREFUSED.*\); after 3 attempts/);
  });
});

test('homeserver back up during the retries: the message arrives', async () => {
  await withServer(async (hs, config) => {
    await hs.down();
    const lines: string[] = [];
    let revived: Promise<void> | undefined;
    const notifier = createMatrixNotifier(config, {
      log: (l) => {
        lines.push(l);
        if (!revived) revived = hs.up();
      },
      retryDelaysMs: [50, 50, 50],
    });
    notifier.notify(summary());
    await notifier.idle();
    notifier.close();
    await revived;
    assert.match(lines[0], /attempt 1\/4\): network: ECONNREFUSED/);
    assert.match(lines.at(-1)!, /^matrix: told /);
    assert.equal([...hs.rooms.values()][0].events.length, 1);
  });
});

test('an expired token is replaced by logging in again with the password, on the same device', async () => {
  await withServer(async (hs, config) => {
    const notifier = createMatrixNotifier({ ...config, deviceId: 'HEADDEV' }, { log: () => {} });
    notifier.notify(summary({ batch: 'one' }));
    await notifier.idle();
    hs.revokeTokens(BOT);
    notifier.notify(summary({ batch: 'two' }));
    await notifier.idle();
    notifier.close();
    const logins = hs.requests.filter((r) => r.path.endsWith('/login'));
    assert.equal(logins.length, 2);
    assert.equal((logins[1].body as any).device_id, 'HEADDEV');
    assert.deepEqual(sends(hs).map((r) => r.status), [200, 401, 200]);
    assert.equal((sends(hs)[1].response as any).errcode, 'M_UNKNOWN_TOKEN');
    assert.equal([...hs.rooms.values()][0].events.length, 2);
  });
});

test('an access-token config uses the token, and a rejected token without a password is not retried', async () => {
  await withServer(async (hs) => {
    const token = hs.issueToken(BOT);
    const lines: string[] = [];
    const notifier = createMatrixNotifier({ homeserver: hs.url, userId: BOT, accessToken: token }, { log: (l) => lines.push(l), retryDelaysMs: [10, 10] });
    notifier.notify(summary({ batch: 'one' }));
    await notifier.idle();
    assert.equal(hs.requests.filter((r) => r.path.endsWith('/login')).length, 0);
    assert.ok(hs.requests.every((r) => r.token === token));
    assert.match(lines[0], /^matrix: told /);

    hs.revokeTokens(BOT);
    const before = hs.requests.length;
    notifier.notify(summary({ batch: 'two' }));
    await notifier.idle();
    notifier.close();
    assert.equal(hs.requests.length - before, 1, 'one attempt only');
    assert.match(lines[1], /giving up .* access token rejected \(HTTP 401 M_UNKNOWN_TOKEN: .*\); put a fresh access_token or a password in the Matrix config.*not retrying/);
  });
});

test('a wrong password is reported once, not hammered', async () => {
  await withServer(async (hs, config) => {
    const lines: string[] = [];
    const notifier = createMatrixNotifier({ ...config, password: 'wrong' }, { log: (l) => lines.push(l), retryDelaysMs: [10, 10] });
    notifier.notify(summary());
    await notifier.idle();
    notifier.close();
    assert.equal(hs.requests.length, 1);
    assert.deepEqual(lines.length, 1);
    assert.match(lines[0], /giving up .*login as @distribute:test.local refused: HTTP 403 M_FORBIDDEN: Invalid username or password/);
  });
});

test('summaries without a Matrix user (or with a malformed one) are skipped with a log line', async () => {
  await withServer(async (hs, config) => {
    const lines: string[] = [];
    const notifier = createMatrixNotifier(config, { log: (l) => lines.push(l) });
    notifier.notify(summary({ matrixUser: undefined }));
    notifier.notify(summary({ matrixUser: 'alice' }));
    await notifier.idle();
    notifier.close();
    assert.equal(hs.requests.length, 0);
    assert.match(lines[0], /batch lab\/sweep names no Matrix user \(meta\.matrix\); no message/);
    assert.match(lines[1], /'alice' .* not a user id/);
  });
});

test('a room we were removed from is replaced by a new DM room', async () => {
  await withServer(async (hs, config) => {
    const notifier = createMatrixNotifier(config, { log: () => {} });
    notifier.notify(summary({ batch: 'one' }));
    await notifier.idle();
    const first = [...hs.rooms.values()][0];
    first.joined.delete(BOT);
    notifier.notify(summary({ batch: 'two' }));
    await notifier.idle();
    notifier.close();
    assert.equal(hs.rooms.size, 2);
    const second = [...hs.rooms.values()][1];
    assert.equal(second.events.length, 1);
    assert.deepEqual(hs.accountData(BOT, 'm.direct'), { [ALICE]: [first.roomId, second.roomId] });
  });
});

test('close() drops pending messages, logs it, and later notify calls are ignored', async () => {
  await withServer(async (hs, config) => {
    await hs.down();
    const lines: string[] = [];
    const notifier = createMatrixNotifier(config, { log: (l) => lines.push(l), retryDelaysMs: [60_000] });
    notifier.notify(summary());
    await new Promise((r) => setTimeout(r, 50));
    const waiting = notifier.idle();
    notifier.close();
    await waiting;
    notifier.notify(summary({ batch: 'late' }));
    assert.match(lines[0], /retrying in 1m/);
    assert.match(lines[1], /closing with 1 message\(s\) not delivered/);
    assert.match(lines[2], /notifier closed; not telling anyone about batch lab\/late/);
  });
});

test('a logger that throws does not break the notifier', async () => {
  await withServer(async (hs, config) => {
    const notifier = createMatrixNotifier(config, { log: () => { throw new Error('broken logger'); } });
    notifier.notify(summary({ matrixUser: undefined }));
    notifier.notify(summary());
    await notifier.idle();
    notifier.close();
    assert.equal([...hs.rooms.values()][0].events.length, 1);
  });
});

test('check() reports working and broken credentials without throwing', async () => {
  await withServer(async (hs, config) => {
    const good = createMatrixNotifier(config, { log: () => {} });
    assert.deepEqual(await good.check(), { ok: true, userId: BOT });
    good.close();
    const bad = createMatrixNotifier({ ...config, password: 'wrong' }, { log: () => {} });
    const badResult = await bad.check();
    assert.equal(badResult.ok, false);
    assert.match((badResult as { error: string }).error, /^Matrix account @distribute:test.local on http:\/\/127.0.0.1:\d+: login as .* refused: HTTP 403 M_FORBIDDEN/);
    bad.close();
    const foreign = createMatrixNotifier({ homeserver: hs.url, userId: BOT, accessToken: hs.issueToken('@someone:test.local') }, { log: () => {} });
    assert.match((await foreign.check() as { error: string }).error, /belongs to @someone:test.local, not @distribute:test.local/);
    foreign.close();
    await hs.down();
    const down = createMatrixNotifier(config, { log: () => {} });
    // ECONNREFUSED, or the pooled keep-alive connection closed under us: both are network failures.
    assert.match((await down.check() as { error: string }).error, /network: (ECONNREFUSED|UND_ERR_SOCKET)/);
    down.close();
  });
});

test('loadMatrixNotifier: a bad file is an error value, a good one gives a working notifier', async () => {
  const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { loadMatrixNotifier } = await import('../../../../head/notify/matrix-notifier.ts');
  const dir = await mkdtemp(join(tmpdir(), 'matrix-notifier-'));
  try {
    await withServer(async (hs) => {
      const bad = join(dir, 'bad.yaml');
      await writeFile(bad, `homeserver: ${hs.url}\nuser_id: "${BOT}"\n`);
      const badResult = await loadMatrixNotifier(bad, { log: () => {} });
      assert.equal(badResult.ok, false);
      assert.match((badResult as { error: string }).error, /needs either access_token or password/);

      const good = join(dir, 'good.json');
      await writeFile(good, JSON.stringify({ homeserver: hs.url, user_id: BOT, password: 'secret' }));
      const loaded = await loadMatrixNotifier(good, { log: () => {} });
      assert.ok(loaded.ok);
      loaded.notifier.notify(summary());
      await loaded.notifier.idle();
      loaded.notifier.close();
      assert.equal([...hs.rooms.values()][0].events.length, 1);
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('an injected clock drives the txn ids, and retries still happen when it stands still', async () => {
  await withServer(async (hs, config) => {
    const lines: string[] = [];
    const notifier = createMatrixNotifier(config, { log: (l) => lines.push(l), retryDelaysMs: [5, 5], now: () => 1_700_000_000_000 });
    hs.failNext(1, { only: /\/send\// });
    notifier.notify(summary());
    await notifier.idle();
    notifier.close();
    assert.deepEqual(sends(hs).map((r) => r.status), [500, 200]);
    assert.match(txnOf(sends(hs)[0]), /^distribute\.[0-9a-f]{12}\.1700000000000\.1$/);
    assert.match(lines.at(-1)!, /^matrix: told .* after 2 attempts$/);
  });
});
