/**
 * The agent's status page in real Chromium (playwright-core, the system's /usr/bin/chromium): it
 * shows the node and its job, the Pause button stops the job's whole process tree (state T) and
 * Resume continues it. Takes a screenshot while paused: into a temp folder, or over the committed
 * docs/status-page.png with UPDATE_SCREENSHOTS=1 (so ordinary runs leave the tree clean). Skipped
 * when Chromium is not installed (`apt-get install chromium`).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { processState } from '../../electron/agent/runner/process-tree.ts';
import { cli, ROOT, startAgentProc, startHeadProc, stop, tempDir, waitBatchEnded, waitFor, type HeadProc, type Proc } from '../helpers/cluster.ts';
import { untilHead } from '../helpers/head-watch.ts';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = fs.existsSync(CHROMIUM);
const ROLES = ['main', 'child', 'grandchild'];

let head: HeadProc;
let agent: Proc;
let browser: Browser;
let workdir: string;
let watch: string;
let release: string;
let batchId: string;

const states = () => ROLES.map((r) => processState(Number(fs.readFileSync(path.join(watch, `pid-${r}`), 'utf8'))));

before(async () => {
  if (!hasChromium) return;
  head = await startHeadProc(tempDir('page-head'));
  workdir = tempDir('page-agent');
  agent = startAgentProc(head, 'lab-pc-07', workdir, ['--control-port', '0', '--tag', 'gpu-free']);
  await untilHead(head, (v) => v.nodes.some((n) => n.state === 'idle'), `the agent to connect:\n${agent.output()}`);

  watch = tempDir('page-watch');
  release = path.join(watch, 'release');
  const warmWatch = tempDir('page-warm');
  const dir = tempDir('page-batch');
  fs.copyFileSync(path.join(ROOT, 'test/fixtures/pause/job.py'), path.join(dir, 'job.py'));
  // The warm-up job is released from the start, so "recent jobs" has a row by the screenshot.
  fs.writeFileSync(path.join(warmWatch, 'release'), '');
  fs.writeFileSync(path.join(dir, 'warm.json'), JSON.stringify({ watch: warmWatch, release: path.join(warmWatch, 'release') }));
  fs.writeFileSync(path.join(dir, 'tree.json'), JSON.stringify({ watch, release }));
  fs.writeFileSync(path.join(dir, 'distribute-jobs.yaml'), [
    'meta: { batch_name: heat-sweep, namespace: alice, capabilities: [python3] }',
    'python:',
    '  initialize: { required_files: [] }',
    '  jobs:',
    '    - { name: warm-up, file: job.py, required_files: [{ path: warm.json, alias: params.json }] }',
    '    - { name: kappa-0.35, file: job.py, required_files: [{ path: tree.json, alias: params.json }] }',
    '',
  ].join('\n'));
  const added = await cli(['add', path.join(dir, 'distribute-jobs.yaml'), '--json'], { DISTRIBUTE_HEAD: head.url, DISTRIBUTE_TOKEN: head.adminToken });
  assert.equal(added.code, 0, added.stderr);
  batchId = JSON.parse(added.stdout).id;
  await waitFor(() => ROLES.every((r) => fs.existsSync(path.join(watch, `ticks-${r}`))), 30_000, () => `job did not start:\n${agent.output()}`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
});

after(async () => {
  if (!hasChromium) return;
  if (release) fs.writeFileSync(release, '');
  await browser?.close();
  await stop(agent);
  await stop(head);
});

test('status page in Chromium: pause stops the job tree, resume continues it', { skip: hasChromium ? false : `no Chromium at ${CHROMIUM} (apt-get install chromium)` }, async () => {
  const port = fs.readFileSync(path.join(workdir, 'control-port'), 'utf8').trim();
  const token = fs.readFileSync(path.join(workdir, 'control-token'), 'utf8').trim();
  const page = await browser.newPage({ viewport: { width: 760, height: 740 } });
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(`http://127.0.0.1:${port}/?token=${token}`);

  await page.getByText('lab-pc-07').first().waitFor();
  assert.equal(new URL(page.url()).search, '', 'the token is removed from the address bar');
  await page.getByText('kappa-0.35').waitFor();
  await page.getByText('connected to head').waitFor();
  await page.getByText('warm-up').waitFor(); // recent jobs
  assert.equal(await page.locator('#state').textContent(), 'running');
  assert.ok(states().every((s) => s !== 'T'), `running before the click: ${states()}`);

  await page.click('#pause-1h');
  await waitFor(() => states().every((s) => s === 'T'), 20_000, () => `not stopped after clicking Pause: ${states()}`);
  await page.locator('#pause-state', { hasText: /Paused until .* \((59m|1h 00m) / }).waitFor();
  assert.equal(await page.locator('#state').textContent(), 'paused');
  assert.equal(await page.locator('#resume').isEnabled(), true);
  await page.waitForTimeout(2500);
  const shot = process.env.UPDATE_SCREENSHOTS === '1' ? path.join(ROOT, 'docs/status-page.png') : path.join(tempDir('page-shot'), 'status-page.png');
  await page.screenshot({ path: shot, fullPage: true });
  assert.ok(fs.statSync(shot).size > 10_000, 'a real screenshot');

  await page.click('#resume');
  await waitFor(() => states().every((s) => s !== null && s !== 'T'), 20_000, () => `not continued after clicking Resume: ${states()}`);
  await page.locator('#pause-state', { hasText: 'Not paused' }).waitFor();
  assert.equal(await page.locator('#resume').isEnabled(), false);

  // A reload keeps working: the token lives in sessionStorage now.
  await page.reload();
  await page.getByText('kappa-0.35').waitFor();

  fs.writeFileSync(release, '');
  const batch = await waitBatchEnded(head, batchId, 30_000);
  assert.deepEqual(batch.jobs.map((j: any) => j.outcome), ['succeeded', 'succeeded']);
  await page.locator('#recent', { hasText: 'kappa-0.35' }).waitFor();
  assert.deepEqual(errors, [], 'no script errors on the page');
});

test('status page without a token asks for it and refuses a wrong one', { skip: hasChromium ? false : `no Chromium at ${CHROMIUM}` }, async () => {
  const port = fs.readFileSync(path.join(workdir, 'control-port'), 'utf8').trim();
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.getByText('Token needed').waitFor();
  assert.equal(await page.locator('#app').isVisible(), false);
  await page.fill('#token', 'f'.repeat(64));
  await page.click('#login-form button');
  await page.getByText('The token was not accepted.').waitFor();
  await page.fill('#token', fs.readFileSync(path.join(workdir, 'control-token'), 'utf8').trim());
  await page.click('#login-form button');
  await page.getByText('lab-pc-07').first().waitFor();
  assert.equal(await page.locator('#app').isVisible(), true);
});
