/**
 * The head's web dashboard in real Chromium (Debian's), against a real head and agent:
 * - sign in (a wrong token is refused), sign out;
 * - every action for who may do it, after a confirmation: retry a batch's failed jobs, kill a
 *   batch, remove a batch (its owner), pause and resume a node (its owner); another user sees
 *   none of these buttons and the head refuses the same requests made from that user's page;
 * - updates arrive over the event stream (the status is fetched once), each batch has a progress
 *   bar, the chart shows running jobs per node, and the log pane follows a running job live from
 *   its first line.
 * The screenshot goes to a temp folder, or over docs/dashboard.png with UPDATE_SCREENSHOTS=1.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { api, cli, ROOT, startAgentProc, startHeadProc, stop, tempDir, waitBatchEnded, waitFor, type HeadProc, type Proc } from '../helpers/cluster.ts';
import { formatDuration, formatSize } from '../../shared/format.ts';
import { untilHead } from '../helpers/head-watch.ts';
import { addUser, envFor, writeShellConfig } from './shell-batches.ts';

const CHROMIUM = '/usr/bin/chromium';
const skip = fs.existsSync(CHROMIUM) ? false : 'Debian chromium is not installed (apt-get install chromium)';
let head: HeadProc;
let agent: Proc;
let browser: Browser;
let alice: string;
let bob: string;
const marks = tempDir('dash-marks');
const runs = (job: string) => (fs.existsSync(path.join(marks, job)) ? fs.readFileSync(path.join(marks, job), 'utf8').split('\n').filter(Boolean).length : 0);

before(async () => {
  if (skip) return;
  head = await startHeadProc(tempDir('dash-head'));
  alice = await addUser(head, 'alice');
  bob = await addUser(head, 'bob');
  // alice owns the workstation: she may pause it, bob may not.
  agent = startAgentProc(head, 'dash-node', tempDir('dash-agent'), ['--owner', 'alice']);
  await untilHead(head, (v) => v.nodes.some((n) => n.state === 'idle'), `the agent to connect:\n${agent.output()}`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
});

after(async () => {
  await browser?.close();
  if (agent) await stop(agent);
  if (head) await stop(head);
});

/** A page signed in with `token`, counting its /api/status requests. */
async function signIn(token: string): Promise<{ page: Page; statusRequests: () => number }> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  let status = 0;
  page.on('request', (r) => { if (new URL(r.url()).pathname === '/api/status') status++; });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(head.url + '/');
  await page.locator('#token').fill(token);
  await page.locator('#login-form button').click();
  await page.locator('#live').waitFor({ state: 'visible', timeout: 15_000 });
  assert.deepEqual(errors, []);
  return { page, statusRequests: () => status };
}

const batchRow = (page: Page, name: string) => page.locator('#batches tr.click', { hasText: name });

/** Click an action button, check the confirmation names the target, confirm. */
async function confirmed(page: Page, button: ReturnType<Page['locator']>, mentions: RegExp): Promise<void> {
  await button.click();
  await page.locator('#confirm[open]').waitFor({ timeout: 5000 });
  assert.match(await page.locator('#confirm-text').innerText(), mentions);
  await page.locator('#confirm-ok').click();
}

/** The same request the page would send, made from `page` with its signed-in token. */
function forced(page: Page, method: string, p: string, body?: unknown): Promise<number> {
  return page.evaluate(async ([m, url, b]) => (await fetch(url as string, {
    method: m as string, headers: { authorization: 'Bearer ' + localStorage.getItem('distribute-token'), 'content-type': 'application/json' }, body: b === undefined ? undefined : JSON.stringify(b),
  })).status, [method, p, body] as const);
}

test('sign-in: a wrong token is refused', { skip }, async () => {
  const page = await browser.newPage();
  await page.goto(head.url + '/');
  await page.locator('#token').fill('wrong-token');
  await page.locator('#login-form button').click();
  await page.locator('#login-error').filter({ hasText: 'refused' }).waitFor({ timeout: 10_000 });
  await page.close();
});

test('the owner retries, kills, removes batches and pauses her node; another user may do none of it', { skip, timeout: 240_000 }, async () => {
  // A lab-shared batch, so bob sees it (and its buttons would be his to misuse).
  const mixed = writeShellConfig('dash', 'mixed', [
    { name: 'good', command: `echo run >> ${marks}/good; echo ok > distribute_save/out.txt` },
    { name: 'flaky', command: `echo run >> ${marks}/flaky; [ "$(wc -l < ${marks}/flaky)" -ge 2 ]` },
  ], { share: 'lab' });
  assert.equal((await cli(['add', mixed], envFor(head, alice))).code, 0);
  await waitBatchEnded(head, 'dash/mixed', 60_000);

  const owner = await signIn(alice);
  const other = await signIn(bob);
  const a = owner.page;
  const b = other.page;

  // Progress bar: one ok, one failed, 2/2 done.
  const row = batchRow(a, 'dash/mixed');
  await row.waitFor();
  assert.equal(await row.locator('.bar .ok').count(), 1);
  assert.equal(await row.locator('.bar .bad').count(), 1);
  assert.match(await row.locator('.pct').innerText(), /^2\/2$/);

  // bob sees the batch and the node, with no action on either; the head refuses him anyway.
  await batchRow(b, 'dash/mixed').waitFor();
  assert.equal(await batchRow(b, 'dash/mixed').locator('button').count(), 0, 'no actions on another user\'s batch');
  await b.locator('#nodes td', { hasText: 'dash-node' }).waitFor();
  assert.equal(await b.locator('#nodes button').count(), 0, 'no pause on another user\'s node');
  const id = (await api(head, '/api/batches/dash%2Fmixed')).body.id;

  // Sizes and durations are written by shared/format.ts (the CLI's formatter), served compiled.
  const node = (await api(head, '/api/nodes')).body.nodes.find((n: { name: string }) => n.name === 'dash-node');
  const memory = formatSize(node.capabilities.memoryBytes);
  assert.ok((await a.locator('#nodes tr', { hasText: 'dash-node' }).innerText()).includes(memory), `the node row shows ${memory}`);
  assert.equal(await a.evaluate("import('/format.js').then((m) => m.formatDuration(3723000, { units: 2 }))"), formatDuration(3_723_000, { units: 2 }));
  assert.equal(await forced(b, 'POST', `/api/batches/${id}/retry`, {}), 403);
  assert.equal(await forced(b, 'POST', `/api/batches/${id}/kill`, {}), 403);
  assert.equal(await forced(b, 'DELETE', `/api/batches/${id}/archive`), 403);
  assert.equal(await forced(b, 'POST', '/api/nodes/dash-node/pause', { duration: '1h' }), 403);
  assert.equal(runs('flaky'), 1, 'nothing re-ran for bob');

  // Retry: only the failed job runs again; the row turns to 2 ok through the event stream.
  await confirmed(a, row.locator('button[data-act="retry"]'), /failed and cancelled jobs of dash\/mixed/);
  await a.locator('#flash', { hasText: 're-queued 1 job of dash/mixed' }).waitFor({ timeout: 10_000 });
  await waitFor(async () => (await row.locator('.bar .ok').count()) === 1 && (await row.locator('.bar .bad').count()) === 0 && /finished/.test(await row.innerText()), 30_000, () => 'retry did not show');
  assert.equal(runs('good'), 1, 'the succeeded job did not run again');
  assert.equal(runs('flaky'), 2);

  // The log pane follows a running job live, from its first line.
  const ticking = writeShellConfig('dash', 'ticking', [{ name: 'ticker', command: 'i=1; while [ $i -le 25 ]; do echo "line $i"; i=$((i+1)); sleep 0.2; done' }]);
  assert.equal((await cli(['add', ticking], envFor(head, alice))).code, 0);
  await batchRow(a, 'dash/ticking').waitFor({ timeout: 10_000 });
  await untilHead(head, (v) => v.running.some((j) => j.batch === 'ticking' && j.state === 'running'), 'dash/ticking to run');
  await new Promise((r) => setTimeout(r, 1500));
  await batchRow(a, 'dash/ticking').click();
  await a.locator('#jobs tr.click', { hasText: 'ticker' }).click();
  await a.locator('#log', { hasText: 'line 1\n' }).waitFor({ timeout: 10_000 });
  const early = await a.locator('#log').innerText();
  assert.ok(early.startsWith('line 1\n'), `the pane starts at line 1: ${early.slice(0, 40)}`);
  await a.locator('#log', { hasText: 'line 25' }).waitFor({ timeout: 20_000 });
  assert.ok((await a.locator('#log').innerText()).length > early.length, 'lines kept arriving in the open pane');
  assert.match(await a.locator('#chart svg path[data-node="dash-node"]').getAttribute('d') ?? '', /V/, 'the chart has a line for the node');
  await waitBatchEnded(head, 'dash/ticking', 60_000);

  // Kill a running batch, then remove it.
  const slow = writeShellConfig('dash', 'slow', [{ name: 'sleeper', command: 'sleep 120' }], { share: 'lab' });
  assert.equal((await cli(['add', slow], envFor(head, alice))).code, 0);
  await untilHead(head, (v) => v.running.some((j) => j.batch === 'slow' && j.state === 'running'), 'dash/slow to run');
  const slowRow = batchRow(a, 'dash/slow');
  await slowRow.locator('button[data-act="kill"]').waitFor({ timeout: 10_000 });
  await batchRow(b, 'dash/slow').waitFor({ timeout: 10_000 });
  assert.equal(await batchRow(b, 'dash/slow').locator('button').count(), 0);
  await confirmed(a, slowRow.locator('button[data-act="kill"]'), /Kill batch dash\/slow/);
  await waitFor(async () => /cancelled/.test(await slowRow.innerText()), 20_000, () => 'kill did not show');
  await confirmed(a, slowRow.locator('button[data-act="remove"]'), /Remove batch dash\/slow/);
  await waitFor(async () => (await slowRow.count()) === 0, 10_000, () => 'the removed batch is still listed');
  await waitFor(async () => (await batchRow(b, 'dash/slow').count()) === 0, 10_000, () => 'bob still sees the removed batch');
  assert.equal((await api(head, '/api/batches/dash%2Fslow')).status, 404);

  // Pause and resume the node (its owner).
  const nodeRow = a.locator('#nodes tr', { hasText: 'dash-node' });
  await confirmed(a, nodeRow.locator('button[data-act="pause"]'), /Pause node dash-node/);
  await waitFor(async () => /paused/.test(await nodeRow.innerText()), 15_000, () => 'pause did not show');
  await waitFor(async () => /paused/.test(await b.locator('#nodes tr', { hasText: 'dash-node' }).innerText()), 15_000, () => 'bob\'s page did not update');
  assert.equal(await b.locator('#nodes button').count(), 0);
  assert.equal(await forced(b, 'POST', '/api/nodes/dash-node/resume', {}), 403);
  // A confirmation can be declined: nothing happens.
  await nodeRow.locator('button[data-act="resume"]').click();
  await a.locator('#confirm-cancel').click();
  await new Promise((r) => setTimeout(r, 500));
  assert.match(await nodeRow.innerText(), /paused/);
  await confirmed(a, nodeRow.locator('button[data-act="resume"]'), /Resume node dash-node/);
  await waitFor(async () => /idle/.test(await nodeRow.innerText()), 15_000, () => 'resume did not show');

  assert.equal(owner.statusRequests(), 1, 'the status was fetched once; everything after came over the event stream');
  assert.equal(other.statusRequests(), 1);

  await row.click();
  await a.locator('#jobs tr.click', { hasText: 'flaky' }).click();
  await a.locator('#log-title', { hasText: 'flaky' }).waitFor();
  // Over the committed docs/dashboard.png only on request, so ordinary runs leave the tree clean.
  const shot = process.env.UPDATE_SCREENSHOTS === '1' ? path.join(ROOT, 'docs/dashboard.png') : path.join(tempDir('dash-shot'), 'dashboard.png');
  await a.screenshot({ path: shot, fullPage: true });
  assert.ok(fs.statSync(shot).size > 10_000, 'a real screenshot');

  await a.locator('#sign-out').click();
  await a.locator('#login-error', { hasText: 'signed out' }).waitFor();
  assert.equal(await a.evaluate(() => localStorage.getItem('distribute-token')), null);
  await a.close();
  await b.close();
});
