/**
 * The head's web dashboard in real Chromium: sign in with a token, see nodes and a finished batch,
 * open its jobs and a job's log.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { api, cli, ROOT, startAgentProc, startHeadProc, stop, tempDir, waitBatchEnded, waitFor, type HeadProc, type Proc } from '../helpers/cluster.ts';

const CHROMIUM = '/usr/bin/chromium';
const skip = fs.existsSync(CHROMIUM) ? false : 'Debian chromium is not installed (apt-get install chromium)';
let head: HeadProc;
let agent: Proc;
let browser: Browser;

before(async () => {
  if (skip) return;
  head = await startHeadProc(tempDir('dash-head'));
  agent = startAgentProc(head, 'dash-node', tempDir('dash-agent'));
  await waitFor(async () => (await api(head, '/api/nodes')).body.nodes?.length === 1, 20_000);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
});

after(async () => {
  await browser?.close();
  if (agent) await stop(agent);
  if (head) await stop(head);
});

test('the dashboard shows nodes, batches, jobs and logs', { skip }, async () => {
  const env = { DISTRIBUTE_HEAD: head.url, DISTRIBUTE_TOKEN: head.adminToken };
  const added = await cli(['add', path.join(ROOT, 'test/fixtures/configs/python-sweep/distribute-jobs.yaml'), '--json'], env);
  assert.equal(added.code, 0, added.stderr);
  await waitBatchEnded(head, JSON.parse(added.stdout).id);

  const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
  await page.goto(head.url + '/');
  await page.locator('#token').fill('wrong-token');
  await page.locator('#login-form button').click();
  await page.locator('#login-error').filter({ hasText: 'refused' }).waitFor({ timeout: 10_000 });

  await page.locator('#token').fill(head.adminToken);
  await page.locator('#login-form button').click();
  await page.locator('#nodes td', { hasText: 'dash-node' }).waitFor({ timeout: 10_000 });
  const batchRow = page.locator('#batches tr.click', { hasText: 'fixtures/python_sweep' });
  await batchRow.waitFor();
  assert.match(await batchRow.innerText(), /finished/);
  await batchRow.click();
  const jobRow = page.locator('#jobs tr.click', { hasText: 'job_2' });
  await jobRow.waitFor();
  assert.match(await jobRow.innerText(), /succeeded/);
  await jobRow.click();
  await page.locator('#log', { hasText: 'job with n=' }).waitFor({ timeout: 10_000 });
  // Over the committed docs/dashboard.png only on request, so ordinary runs leave the tree clean.
  const shot = process.env.UPDATE_SCREENSHOTS === '1' ? path.join(ROOT, 'docs/dashboard.png') : path.join(tempDir('dash-shot'), 'dashboard.png');
  await page.screenshot({ path: shot });
  assert.ok(fs.statSync(shot).size > 10_000, 'a real screenshot');
});
