/**
 * The compiled `distribute` command the tests spawn (bin/distribute.js runs dist/). Importing this
 * module rebuilds dist/ first when a source is newer than the last build (`npm run build`
 * --if-stale, ~0.2 s), so a single test file run by hand never tests yesterday's build.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const BIN = path.join(ROOT, 'bin/distribute.js');

execFileSync(process.execPath, [path.join(ROOT, 'build/compile.mjs'), '--if-stale', '--quiet'], { stdio: ['ignore', 'inherit', 'inherit'] });
