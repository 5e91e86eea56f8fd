// The head's dashboard (served as /dashboard.js: no inline script, so the page's CSP needs no
// 'unsafe-inline'). It loads the status once, then follows the live frames of the event stream
// (GET /api/events?live) instead of polling. Actions (kill, retry, remove a batch; pause, resume a
// node) are offered only to who may do them, each after a confirmation; the head checks again.
// A module (strict by itself): it imports the one formatter, shared/format.ts, compiled (/format.js).
import { formatClock, formatDuration, formatSize } from '/format.js';

const $ = (id) => document.getElementById(id);
let token = localStorage.getItem('distribute-token') || '';
let me = null;
let selected = null; // batch id whose jobs are shown
let following = null; // AbortController of the log being followed
let stream = null; // AbortController of the live event stream
const view = { batches: new Map(), running: [], nodes: [], jobs: new Map(), activity: null, archive: null };

const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
// Durations, sizes and clock times as the CLI, the tray and the status page write them (shared/format.ts).
const human = (ms) => (ms == null ? '-' : formatDuration(ms, { units: 2 }));
const bytes = (n) => formatSize(n);
const state = (s) => `<span class="s-${esc(s)}">${esc(s)}</span>`;
const canManage = (b) => me && (me.kind === 'admin' || b.owner === me.name);
const canControl = (n) => me && (me.kind === 'admin' || n.owner === me.name);

function table(head, rows, opts = {}) {
  if (!rows.length) return '<p class="empty">none</p>';
  return '<table><tr>' + head.map((h) => `<th>${esc(h)}</th>`).join('') + '</tr>' +
    rows.map((r, i) => `<tr${opts.click ? ` class="click${opts.selected?.(i) ? ' selected' : ''}" data-i="${i}"` : ''}>` + r.map((c) => `<td${c && c.actions ? ' class="actions"' : ''}>${c && c.actions ? c.html : c}</td>`).join('') + '</tr>').join('') + '</table>';
}

async function api(path, init = {}) {
  const res = await fetch(path, { ...init, headers: { authorization: 'Bearer ' + token, ...(init.body ? { 'content-type': 'application/json' } : {}) } });
  if (res.status === 401) { showLogin('that token was refused'); throw new Error('unauthorized'); }
  if (!res.ok) throw new Error((await res.json().catch(() => ({}))).error || 'HTTP ' + res.status);
  return res.headers.get('content-type')?.includes('json') ? res.json() : res.text();
}

function flash(text, isError) {
  const f = $('flash');
  f.hidden = false; f.textContent = text; f.className = isError ? 'err' : '';
}

function showLogin(msg) {
  stream?.abort(); following?.abort();
  $('login').hidden = false; $('login-error').textContent = msg || ''; $('live').hidden = true; $('flash').hidden = true;
  for (const s of ['batches-section', 'running-section', 'nodes-section', 'batch-section', 'activity-section', 'disk-full']) $(s).hidden = true;
}

/** Ask before acting; resolves true when confirmed. */
function confirmAction(text) {
  const d = $('confirm');
  $('confirm-text').textContent = text;
  d.returnValue = '';
  d.showModal();
  return new Promise((resolve) => d.addEventListener('close', () => resolve(d.returnValue === 'ok'), { once: true }));
}

async function act(question, path, body, done) {
  if (!(await confirmAction(question))) return;
  try {
    const r = await api(path, { method: path.endsWith('/archive') ? 'DELETE' : 'POST', body: path.endsWith('/archive') ? undefined : JSON.stringify(body ?? {}) });
    flash(done(r), false);
  } catch (e) {
    flash(String(e.message || e), true);
  }
}

// ---- rendering ------------------------------------------------------------------------------

function progress(b) {
  const c = b.counts, t = Math.max(1, b.total);
  const parts = [['ok', c.succeeded], ['bad', c.failed + c.buildFailed], ['gone', c.cancelled], ['run', c.running + c.assigned], ['pause', c.paused]];
  const done = c.succeeded + c.failed + c.buildFailed + c.cancelled;
  return `<span class="progress"><span class="bar" title="${done} of ${b.total} done">` + parts.filter(([, n]) => n > 0).map(([k, n]) => `<span class="${k}" style="width:${(100 * n / t).toFixed(2)}%"></span>`).join('') +
    `</span><span class="pct">${done}/${b.total}</span></span>`;
}

function batchActions(b) {
  if (!canManage(b)) return '';
  const retryable = b.counts.failed + b.counts.cancelled;
  return [
    b.phase === 'active' ? `<button class="danger" data-act="kill" data-id="${esc(b.id)}">Kill</button>` : '',
    retryable > 0 ? `<button data-act="retry" data-id="${esc(b.id)}">Retry ${retryable}</button>` : '',
    `<button class="danger" data-act="remove" data-id="${esc(b.id)}">Remove</button>`,
  ].join('');
}

function renderBatches() {
  const list = [...view.batches.values()].sort((a, b) => (a.createdAt ?? 0) - (b.createdAt ?? 0));
  $('batches').innerHTML = table(['batch', 'owner', 'state', 'progress', 'queued', 'running', 'ok', 'failed', 'cancelled', ''], list.map((b) => [
    esc(b.namespace + '/' + b.name), esc(b.owner), state(b.outcome || b.phase), progress(b), b.counts.queued,
    b.counts.running + b.counts.assigned + b.counts.paused, b.counts.succeeded, b.counts.failed + b.counts.buildFailed, b.counts.cancelled,
    { actions: true, html: batchActions(b) }]), { click: true, selected: (i) => list[i].id === selected });
  $('batches').querySelectorAll('tr.click').forEach((tr) => tr.addEventListener('click', (e) => {
    if (e.target.closest('button')) return;
    selected = list[+tr.dataset.i].id; renderBatches(); loadBatch();
  }));
  $('batches').querySelectorAll('button[data-act]').forEach((btn) => btn.addEventListener('click', () => {
    const b = view.batches.get(btn.dataset.id);
    const label = b.namespace + '/' + b.name;
    if (btn.dataset.act === 'kill') act(`Kill batch ${label}? Queued jobs are dropped and running ones killed.`, `/api/batches/${encodeURIComponent(b.id)}/kill`, {}, (r) => `killed ${label}: ${r.cancelled} jobs cancelled`);
    if (btn.dataset.act === 'retry') act(`Run the failed and cancelled jobs of ${label} again? Their archived results are replaced when the new runs finish.`, `/api/batches/${encodeURIComponent(b.id)}/retry`, {}, (r) => `re-queued ${r.retried.length} job${r.retried.length === 1 ? '' : 's'} of ${label}`);
    if (btn.dataset.act === 'remove') act(`Remove batch ${label} and delete its archived results? This cannot be undone.`, `/api/batches/${encodeURIComponent(b.id)}/archive`, null, () => `removed ${label}`);
  }));
  const a = view.archive;
  const space = a && a.freeBytes != null ? `archive ${bytes(a.freeBytes)} free` : 'archive free space unknown';
  $('summary').textContent = `${view.batches.size} batches · ${view.running.length} running · ${view.nodes.length} nodes · ${space}`;
  // A full (or nearly full) archive disk stops new jobs: say so at the top, with the reason.
  $('disk-full').hidden = !a || a.state === 'ok';
  $('disk-full').textContent = a && a.state !== 'ok' ? (a.state === 'full' ? 'Disk full: ' : 'Disk low: ') + a.reason
    + (a.waiting && a.waiting.length ? ` (${a.waiting.length} finished result(s) wait on their nodes: ${a.waiting.slice(0, 5).map((w) => w.job).join(', ')})` : '') : '';
}

function renderRunning() {
  $('running').innerHTML = table(['batch', 'job', 'owner', 'node', 'state', 'run time'], view.running.map((j) => [
    esc(j.namespace + '/' + j.batch), esc(j.name), esc(j.owner), esc(j.node), state(j.state) + (j.pausedUntil ? ' until ' + esc(formatClock(j.pausedUntil)) : ''), human(j.runMs)]));
}

function renderNodes() {
  // Every job a node runs (several when their requests fit side by side) and the room left beside them.
  const free = (n) => (n.free && n.state !== 'offline' && n.state !== 'lost' && n.state !== 'stopped'
    ? esc(n.free.cpus + ' cores, ' + n.free.memoryGb + ' GiB' + (n.free.gpus ? ', ' + n.free.gpus + ' GPUs' : '')) : '-');
  const jobs = (n) => ((n.runs || []).length
    ? n.runs.map((r) => esc(r.batch + '/' + r.job) + (r.request ? ' (' + esc(r.request.cpus) + 'c)' : '')).join('<br>') : '-');
  $('nodes').innerHTML = table(['node', 'state', 'owner', 'cores', 'memory', 'gpus', 'tags', 'free', 'jobs', ''], view.nodes.map((n) => [
    esc(n.name), state(n.state) + (n.paused?.until ? ' until ' + esc(formatClock(n.paused.until)) : ''), esc(n.owner || '-'),
    n.capabilities.physicalCores, bytes(n.capabilities.memoryBytes), n.capabilities.gpus.length,
    esc(n.capabilities.tags.join(', ')), free(n), jobs(n),
    { actions: true, html: canControl(n) && n.state !== 'offline' && n.state !== 'lost' && n.state !== 'stopped'
      ? (n.paused ? `<button data-node="${esc(n.name)}" data-act="resume">Resume</button>` : `<button data-node="${esc(n.name)}" data-act="pause">Pause 1 h</button>`) : '' }]));
  $('nodes').querySelectorAll('button[data-node]').forEach((btn) => btn.addEventListener('click', () => {
    const name = btn.dataset.node;
    if (btn.dataset.act === 'pause') act(`Pause node ${name} for 1 hour? Its jobs stop until then (or until resumed).`, `/api/nodes/${encodeURIComponent(name)}/pause`, { duration: '1h' }, () => `asked ${name} to pause`);
    else act(`Resume node ${name}? Its jobs continue.`, `/api/nodes/${encodeURIComponent(name)}/resume`, {}, () => `asked ${name} to resume`);
  }));
}

const COLORS = ['#1f6feb', '#1a7f37', '#b26a00', '#8250df', '#c62828', '#0a7b83', '#6e7781', '#bf3989'];
function renderChart() {
  const a = view.activity;
  if (!a) return;
  const now = a.samples.length ? a.samples[a.samples.length - 1].at : Date.now();
  const from = now - a.windowMs;
  const names = [...new Set([...view.nodes.map((n) => n.name), ...a.samples.flatMap((s) => Object.keys(s.nodes))])].sort();
  const max = Math.max(1, ...a.samples.flatMap((s) => Object.values(s.nodes)));
  const W = 600, H = 140, x = (t) => ((t - from) / a.windowMs * W).toFixed(1), y = (v) => (H - 4 - v / max * (H - 14)).toFixed(1);
  const lines = names.map((name, i) => {
    // A step line: the count holds until the next sample.
    let d = '';
    a.samples.forEach((s, k) => { const v = s.nodes[name] ?? 0; d += k === 0 ? `M${x(s.at)},${y(v)}` : `H${x(s.at)}V${y(v)}`; });
    return `<path data-node="${esc(name)}" d="${d}" fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2"/>`;
  });
  const grid = Array.from({ length: max + 1 }, (_, v) => `<line x1="0" x2="${W}" y1="${y(v)}" y2="${y(v)}" stroke="#e3e6ec"/><text x="2" y="${+y(v) - 2}" font-size="9" fill="#687084">${v}</text>`);
  $('chart').innerHTML = `<svg viewBox="0 0 ${W} ${H}" preserveAspectRatio="none" role="img" aria-label="running jobs per node over the last hour">${grid.join('')}${lines.join('')}</svg>` +
    `<div class="legend">${names.map((n, i) => `<span><i style="background:${COLORS[i % COLORS.length]}"></i>${esc(n)}</span>`).join('')}<span>− 60 min … now</span></div>`;
}

function renderJobs() {
  const b = view.batches.get(selected);
  if (!b) { $('batch-section').hidden = true; return; }
  const jobs = [...view.jobs.values()];
  $('batch-section').hidden = false;
  $('batch-title').textContent = `Jobs of ${b.namespace}/${b.name}`;
  $('jobs').innerHTML = table(['job', 'state', 'node', 'exit', 'attempts', 'run time'], jobs.map((j) => [
    esc(j.name), state(j.outcome || j.state), esc(j.node || '-'), j.result && 'exitCode' in j.result ? j.result.exitCode : '-', j.attempts, human(j.runMs)]), { click: true });
  $('jobs').querySelectorAll('tr.click').forEach((tr) => tr.addEventListener('click', () => showLog(b, jobs[+tr.dataset.i])));
}

// ---- data -----------------------------------------------------------------------------------

async function loadBatch() {
  const id = selected;
  const b = await api('/api/batches/' + encodeURIComponent(id)).catch(() => null);
  if (!b || id !== selected) return;
  view.jobs = new Map(b.jobs.map((j) => [j.name, j]));
  renderJobs();
}

/** A job's log: archived when it ended; while it runs, from its first line and then live. */
async function showLog(b, job) {
  following?.abort();
  const ctl = new AbortController();
  following = ctl;
  const pre = $('log');
  pre.hidden = false; $('log-title').hidden = false;
  $('log-title').textContent = `${job.name}: ${job.outcome || job.state}`;
  pre.textContent = '';
  const live = job.state !== 'done';
  try {
    const res = await fetch(`/api/batches/${encodeURIComponent(b.id)}/jobs/${encodeURIComponent(job.name)}/logs${live ? '?follow' : ''}`, { headers: { authorization: 'Bearer ' + token }, signal: ctl.signal });
    if (!res.ok) throw new Error((await res.json().catch(() => ({}))).error || 'HTTP ' + res.status);
    const reader = res.body.getReader();
    const text = new TextDecoder();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const stick = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
      pre.textContent += text.decode(value, { stream: true });
      if (stick) pre.scrollTop = pre.scrollHeight;
    }
    if (!pre.textContent) pre.textContent = '(no output)';
    if (live && following === ctl) $('log-title').textContent = `${job.name}: ended`;
  } catch (e) {
    if (!ctl.signal.aborted) pre.textContent += `\n(${e.message || e})`;
  }
}

/** Apply one live frame: changed batches and jobs, and the small lists sent whole. */
function applyFrame(f) {
  for (const b of f.batches) view.batches.set(b.id, b);
  for (const id of f.removed) {
    view.batches.delete(id);
    if (id === selected) { selected = null; following?.abort(); }
  }
  view.running = f.running; view.nodes = f.nodes;
  if (f.archive !== undefined) view.archive = f.archive;
  if (view.activity) {
    const s = view.activity.samples;
    // The newest point follows the live counts; older points stay as sampled by the head.
    if (s.length > 1 && f.now - s[s.length - 2].at < view.activity.stepMs) s[s.length - 1] = { at: f.now, nodes: f.held };
    else s.push({ at: f.now, nodes: f.held });
    while (s.length && s[0].at < f.now - view.activity.windowMs) s.shift();
  }
  const mine = f.jobs.filter((j) => j.batchId === selected);
  for (const j of mine) view.jobs.set(j.name, j);
  renderBatches(); renderRunning(); renderNodes(); renderChart();
  if (f.reload && selected) loadBatch(); else if (mine.length || f.removed.includes(selected)) renderJobs();
}

/** Follow the event stream's live frames; reconnect after a break. */
async function follow() {
  stream?.abort();
  const ctl = new AbortController();
  stream = ctl;
  try {
    const res = await fetch('/api/events?live', { headers: { authorization: 'Bearer ' + token }, signal: ctl.signal });
    if (!res.ok) throw new Error('HTTP ' + res.status);
    $('live').hidden = false;
    const reader = res.body.getReader();
    const text = new TextDecoder();
    let buf = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buf += text.decode(value, { stream: true });
      let end;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const frame = buf.slice(0, end); buf = buf.slice(end + 2);
        const event = /^event: (.*)$/m.exec(frame)?.[1];
        const data = frame.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
        if (event === 'live' && data) applyFrame(JSON.parse(data));
      }
    }
  } catch { /* aborted or broken: reconnect below */ }
  $('live').hidden = true;
  if (stream === ctl && !ctl.signal.aborted) setTimeout(() => { if (stream === ctl) start(); }, 2000);
}

async function start() {
  if (!token) return showLogin();
  let s;
  try { s = await api('/api/status'); me = await api('/api/whoami'); } catch { return; }
  view.activity = await api('/api/activity').catch(() => null);
  $('who').textContent = `signed in as ${me.name}${me.kind === 'admin' ? ' (admin)' : ''}`;
  $('sign-out').hidden = false;
  for (const id of ['batches-section', 'running-section', 'nodes-section', 'activity-section']) $(id).hidden = false;
  view.batches = new Map(s.batches.map((b) => [b.id, b]));
  view.running = s.running; view.nodes = s.nodes; view.archive = s.archive ?? null;
  renderBatches(); renderRunning(); renderNodes(); renderChart();
  if (selected) loadBatch();
  follow();
}

// Sign out forgets the token in this browser (a shared lab PC must not keep it).
$('sign-out').addEventListener('click', () => {
  token = ''; me = null; selected = null; localStorage.removeItem('distribute-token');
  $('who').textContent = ''; $('summary').textContent = ''; $('sign-out').hidden = true; showLogin('signed out');
});
$('login-form').addEventListener('submit', (e) => {
  e.preventDefault(); token = $('token').value.trim(); localStorage.setItem('distribute-token', token); $('login').hidden = true; start();
});
start();
