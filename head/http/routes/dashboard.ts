/**
 * The head's web dashboard: one static page (batches with progress and actions, jobs, live logs,
 * running jobs, a chart of the last hour, nodes) with its script and styles in their own files
 * (`dashboard/dashboard.js`, `.css`), calling the same API as the CLI with the token the user types
 * in. The page and its files need no token. Durations and sizes are written by shared/format.ts,
 * the formatter of the CLI, the tray and the status page: the page's script imports its compiled
 * copy, served as `/format.js`.
 *
 * Its Content-Security-Policy allows exactly the page's own inline scripts, by their sha256 (no
 * `'unsafe-inline'`: an injected `<script>` or `onclick=` does not run), forbids framing
 * (`frame-ancestors 'none'`, against clickjacking) and lets the page talk only to its own origin.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Router } from 'express';
import { formatClock, formatDuration, formatSize } from '../../../shared/format.ts';

const DIR = path.join(import.meta.dirname, '../dashboard');
const PAGE = path.join(DIR, 'index.html');
/** The page's own script and styles, served as files so the CSP allows them as 'self'. */
const ASSETS = { '/dashboard.js': ['dashboard.js', 'text/javascript'], '/dashboard.css': ['dashboard.css', 'text/css'] } as const;

/**
 * shared/format.ts as the browser loads it (an ES module): the compiled file beside this one in
 * dist/, or, when the head runs from source, the same functions as the loader compiled them.
 */
export function formatModule(): string {
  const compiled = path.join(import.meta.dirname, '../../../shared/format.js');
  if (fs.existsSync(compiled)) return fs.readFileSync(compiled, 'utf8');
  return [formatDuration, formatSize, formatClock].map((f) => `export ${f.toString()}`).join('\n');
}

/** The CSP for `html`: its inline `<script>` bodies are allowed by hash, nothing else runs. */
export function dashboardCsp(html: string): string {
  const hashes = [...html.matchAll(/<script(?:\s[^>]*)?>([\s\S]*?)<\/script>/gi)]
    .filter((m) => !/\ssrc=/i.test(m[0].slice(0, m[0].indexOf('>'))))
    .map((m) => `'sha256-${crypto.createHash('sha256').update(m[1], 'utf8').digest('base64')}'`);
  return [
    "default-src 'self'", `script-src 'self' ${hashes.join(' ')}`.trim(), "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:", "connect-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
  ].join('; ');
}

export function dashboardRouter(): Router {
  const r = Router();
  const html = fs.readFileSync(PAGE, 'utf8');
  const csp = dashboardCsp(html);
  r.get(['/', '/dashboard'], (_req, res) => {
    res.setHeader('content-security-policy', csp);
    res.setHeader('x-frame-options', 'DENY');
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('x-content-type-options', 'nosniff');
    res.type('html').send(html);
  });
  const files: [string, string, string][] = Object.entries(ASSETS).map(([route, [file, type]]) => [route, fs.readFileSync(path.join(DIR, file), 'utf8'), type]);
  files.push(['/format.js', formatModule(), 'text/javascript']);
  for (const [route, body, type] of files) {
    r.get(route, (_req, res) => {
      res.setHeader('content-type', `${type}; charset=utf-8`);
      res.setHeader('x-content-type-options', 'nosniff');
      res.setHeader('cache-control', 'no-cache');
      res.send(body);
    });
  }
  return r;
}
