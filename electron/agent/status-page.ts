/**
 * The status page the agent serves on its control endpoint (and the tray's status window shows):
 * one static HTML document with inline CSS and JS, no framework, no external resources.
 *
 * It holds no data itself: the script takes the token from `?token=` (then keeps it in
 * sessionStorage and removes it from the address bar, so it does not linger in history or get
 * copied with the URL), or asks for it, polls `GET /api/state` every second and renders with
 * textContent only, because batch and job names come from other users. Buttons POST to
 * /api/pause and /api/resume.
 */

import { controlRoutes } from '../../shared/api/routes.ts';
import { formatClock, formatDuration, formatSize } from '../../shared/format.ts';

/** The page's copy of shared/format.ts: the very functions, as source, so there is one formatter. */
const SHARED_FORMATTERS = [formatDuration, formatSize, formatClock].map((f) => f.toString()).join('\n');

const STYLE = `
:root { color-scheme: light dark; --bg: #f4f5f7; --card: #fff; --text: #1d2330; --muted: #667085; --line: #e4e7ec;
  --accent: #2563eb; --ok: #12805c; --warn: #b54708; --bad: #b42318; --chip: #eef2f6; }
@media (prefers-color-scheme: dark) { :root { --bg: #15181e; --card: #1e232b; --text: #e6e9ef; --muted: #98a2b3;
  --line: #2e3440; --accent: #5b8def; --ok: #3ccf91; --warn: #f5a524; --bad: #f97066; --chip: #2a303a; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Ubuntu, sans-serif; background: var(--bg); color: var(--text); }
main { max-width: 760px; margin: 0 auto; padding: 20px; }
header { display: flex; align-items: center; gap: 12px; margin-bottom: 16px; }
h1 { font-size: 20px; margin: 0; font-weight: 650; }
h2 { font-size: 12px; margin: 0 0 10px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); font-weight: 600; }
.spacer { flex: 1; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 16px; margin-bottom: 14px; }
.badge { display: inline-flex; align-items: center; gap: 6px; padding: 2px 10px; border-radius: 999px; font-size: 12px; font-weight: 600; background: var(--chip); }
.badge::before { content: ""; width: 8px; height: 8px; border-radius: 50%; background: currentColor; }
.connected, .running, .idle { color: var(--ok); } .paused, .connecting { color: var(--warn); } .offline, .error { color: var(--bad); }
.muted { color: var(--muted); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
dt { color: var(--muted); } dd { margin: 0; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
.row { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
button { font: inherit; font-weight: 600; padding: 7px 14px; border-radius: 8px; border: 1px solid var(--line); background: var(--card); color: var(--text); cursor: pointer; }
button:hover:not(:disabled) { border-color: var(--accent); }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button:disabled { opacity: .45; cursor: default; }
.pause-line { font-size: 16px; font-weight: 600; margin-bottom: 10px; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); }
th { color: var(--muted); font-weight: 600; font-size: 12px; }
tr:last-child td { border-bottom: 0; }
.chips { display: flex; flex-wrap: wrap; gap: 6px; }
.chip { background: var(--chip); border-radius: 6px; padding: 1px 8px; font-size: 12px; }
#message { margin-top: 8px; } #message:empty { display: none; }
.card.is-paused { border-color: var(--warn); box-shadow: inset 4px 0 0 var(--warn); }
input { font: inherit; padding: 7px 10px; border-radius: 8px; border: 1px solid var(--line); background: var(--card); color: var(--text); width: 100%; }
`;

// Runs in the browser. Kept as plain ES2017 so any Chromium/Electron renders it.
const SCRIPT = String.raw`
'use strict';
const KEY = 'distribute-control-token';
const params = new URLSearchParams(location.search);
if (params.has('token')) {
  sessionStorage.setItem(KEY, params.get('token'));
  history.replaceState(null, '', location.pathname);
}
let token = sessionStorage.getItem(KEY);
let state = null;
let offset = 0;
const $ = (id) => document.getElementById(id);

function el(tag, props, ...children) {
  const e = document.createElement(tag);
  Object.assign(e, props || {});
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}
// shared/format.ts, the formatters the CLI and the tray use, inlined from the module itself.
${SHARED_FORMATTERS}
function dur(ms) { return formatDuration(ms, { units: 2 }); }
function now() { return Date.now() + offset; }
function say(text, bad) { const m = $('message'); m.textContent = text; m.className = bad ? 'error' : 'muted'; }

async function call(method, path, body) {
  const res = await fetch(path, {
    method, headers: Object.assign({ authorization: 'Bearer ' + token }, body ? { 'content-type': 'application/json' } : {}),
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await res.json().catch(() => ({}));
  if (res.status === 401) { sessionStorage.removeItem(KEY); token = null; showLogin('The token was not accepted.'); throw new Error('unauthorized'); }
  if (!res.ok) throw new Error(data.error || 'HTTP ' + res.status);
  return data;
}

function showLogin(why) {
  $('app').hidden = true;
  $('login').hidden = false;
  $('login-why').textContent = why || '';
}

async function poll() {
  if (!token) return showLogin('');
  try {
    const s = await call('GET', ${JSON.stringify(controlRoutes.state())});
    offset = s.now - Date.now();
    state = s;
    $('app').hidden = false; $('login').hidden = true;
    render();
    if ($('message').className === 'error' && $('message').dataset.kind === 'poll') say('');
  } catch (err) {
    if (String(err.message) !== 'unauthorized') { say('The agent is not answering (' + err.message + ').', true); $('message').dataset.kind = 'poll'; }
  }
}

function render() {
  const s = state;
  $('node').textContent = s.name;
  document.title = s.name + ' · distribute';
  const conn = $('connection');
  conn.className = 'badge ' + s.connection;
  conn.textContent = s.connection === 'connected' ? 'connected to head' : s.connection;
  $('head').textContent = s.headUrl;
  const mode = s.pause ? 'paused' : s.current ? 'running' : 'idle';
  $('job-title').textContent = (s.jobs && s.jobs.length > 1) ? s.jobs.length + ' jobs running' : 'Current job';
  const badge = $('state');
  badge.className = 'badge ' + mode;
  badge.textContent = mode;

  const job = $('job');
  job.replaceChildren();
  const jobs = s.jobs || (s.current ? [s.current] : []);
  for (const c of jobs) {
    const stopped = c.pausedAt ? now() - c.pausedAt : 0;
    const elapsed = c.phase === 'running' ? dur(now() - c.startedAt - c.pausedMs - stopped) : '—';
    const share = (c.cores ? c.cores + (c.cores === 1 ? ' core' : ' cores') : '') + (c.gpus && c.gpus.length ? ', GPU ' + c.gpus.join(',') : '');
    const rows = [['Batch', c.namespace + '/' + c.batch], ['Job', c.job + (c.attempt > 1 ? ' (attempt ' + c.attempt + ')' : '')],
      ['Owner', c.owner], ['Phase', c.pausedAt ? 'stopped (paused)' : c.phase], ['Share', share || '—'], ['Elapsed', elapsed],
      ['Paused so far', dur(c.pausedMs + stopped)]];
    job.append(el('dl', { className: 'job-details', id: jobs.length === 1 ? 'job-details' : 'job-' + c.job }, ...rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])));
  }
  if (!jobs.length) {
    job.append(el('p', { className: 'muted', id: 'no-job' }, s.pause ? 'No job. The node takes no work while paused.' : 'No job right now. Waiting for work from the head.'));
  }
  if (s.free) {
    job.append(el('p', { className: 'muted', id: 'free' }, 'Free for more jobs: ' + s.free.cpus + (s.free.cpus === 1 ? ' core, ' : ' cores, ') +
      formatSize(s.free.memoryBytes) + ', ' + s.free.gpus + (s.free.gpus === 1 ? ' GPU' : ' GPUs')));
  }

  const p = s.pause;
  $('pause-card').classList.toggle('is-paused', !!p);
  const line = $('pause-state');
  if (p) {
    line.className = 'pause-line paused';
    line.textContent = p.until ? 'Paused until ' + formatClock(p.until) + ' (' + dur(Math.ceil((p.until - now()) / 1000) * 1000) + ' left)' :
      'Paused until resumed' + (p.capAt ? ' (at most until ' + formatClock(p.capAt) + ')' : '');
  } else {
    line.className = 'pause-line running';
    line.textContent = 'Not paused';
  }
  $('resume').disabled = !p;
  $('resume').className = p ? 'primary' : '';
  $('max').textContent = 'Longest pause: ' + dur(s.maxPauseMs) + '. Pausing again replaces the end.';

  const cap = s.capabilities;
  const chips = $('caps');
  chips.replaceChildren(...[cap.physicalCores + ' cores (' + cap.logicalCores + ' threads)', formatSize(cap.memoryBytes) + ' memory',
    ...cap.gpus.map((g, i) => 'GPU ' + i + ': ' + g.vendor + ' ' + g.model), ...cap.tags.map((t) => 'tag: ' + t)].map((t) => el('span', { className: 'chip' }, t)));

  const recent = $('recent');
  recent.replaceChildren();
  if (!s.recent.length) recent.append(el('tr', {}, el('td', { className: 'muted', colSpan: 4 }, 'Nothing yet.')));
  for (const r of s.recent.slice(0, 10)) {
    recent.append(el('tr', {}, el('td', {}, r.batch + '/' + r.job), el('td', { className: r.outcome === 'succeeded' ? 'running' : 'error' }, r.outcome),
      el('td', {}, dur(r.runMs)), el('td', { className: 'muted' }, formatClock(r.endedAt))));
  }
}

async function act(method, path, body, doing) {
  say(doing);
  for (const b of document.querySelectorAll('button')) b.disabled = true;
  try {
    state = await call(method, path, body);
    offset = state.now - Date.now();
    say('');
  } catch (err) {
    if (String(err.message) !== 'unauthorized') say(err.message, true);
  }
  for (const b of document.querySelectorAll('.pause-buttons button')) b.disabled = false;
  if (state) render();
}

for (const b of document.querySelectorAll('[data-duration]')) {
  b.addEventListener('click', () => act('POST', ${JSON.stringify(controlRoutes.pause())}, { duration: b.dataset.duration }, 'Pausing…'));
}
$('resume').addEventListener('click', () => act('POST', ${JSON.stringify(controlRoutes.resume())}, null, 'Resuming…'));
$('login-form').addEventListener('submit', (e) => {
  e.preventDefault();
  token = $('token').value.trim();
  sessionStorage.setItem(KEY, token);
  poll();
});
poll();
setInterval(poll, 1000);
`;

/** The whole status page as one HTML document. */
export function statusPageHtml(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>distribute status</title>
<style>${STYLE}</style>
</head>
<body>
<main>
  <header>
    <h1 id="node">distribute</h1>
    <span id="state" class="badge">…</span>
    <span class="spacer"></span>
    <span id="connection" class="badge connecting">connecting</span>
  </header>
  <section id="login" class="card" hidden>
    <h2>Token needed</h2>
    <p>Open this page from the tray menu, or paste the token from <code>~/.distribute/agent/control-token</code>
      (the agent's <code>--workdir</code>). <span id="login-why" class="error"></span></p>
    <form id="login-form" class="row"><input id="token" autocomplete="off" placeholder="control token"><button class="primary">Open</button></form>
  </section>
  <div id="app" hidden>
    <section class="card" id="pause-card">
      <h2>Pause</h2>
      <div id="pause-state" class="pause-line">…</div>
      <div class="row pause-buttons">
        <button id="pause-30m" data-duration="30m">Pause 30 min</button>
        <button id="pause-1h" data-duration="1h">Pause 1 h</button>
        <button id="pause-until-resumed" data-duration="until-resumed">Pause until resumed</button>
        <span class="spacer"></span>
        <button id="resume" disabled>Resume</button>
      </div>
      <div id="max" class="muted" style="margin-top:8px"></div>
      <div id="message" class="muted" role="status"></div>
    </section>
    <section class="card">
      <h2 id="job-title">Current job</h2>
      <div id="job"></div>
    </section>
    <section class="card">
      <h2>This node</h2>
      <dl><dt>Head</dt><dd id="head"></dd><dt>Capabilities</dt><dd><div id="caps" class="chips"></div></dd></dl>
    </section>
    <section class="card">
      <h2>Recent jobs</h2>
      <table><thead><tr><th>Job</th><th>Outcome</th><th>Run time</th><th>Ended</th></tr></thead><tbody id="recent"></tbody></table>
    </section>
  </div>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
