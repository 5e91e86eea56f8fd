/**
 * How a user can run this very `distribute` again from another terminal, for hints such as the
 * `up` banner: `distribute` when that name on the PATH is this installation, otherwise `node
 * <path>/bin/distribute.js` (a checkout run as `npm start` or `node bin/distribute.js`). Not
 * `npx distribute`: outside the checkout npx would fetch an unrelated registry package.
 */
import fs from 'node:fs';
import path from 'node:path';

function realpath(file: string): string | null {
  try {
    return fs.realpathSync(file);
  } catch {
    return null;
  }
}

/** `script` is the running entry (process.argv[1]); `pathVar` the PATH to look `distribute` up in. */
export function selfCommand(script = process.argv[1] ?? '', pathVar = process.env.PATH ?? ''): string {
  const self = realpath(script);
  if (!self) return 'distribute';
  for (const dir of pathVar.split(path.delimiter)) {
    if (dir && realpath(path.join(dir, 'distribute')) === self) return 'distribute';
  }
  const shown = self.includes(' ') ? `"${self}"` : self;
  return `node ${shown}`;
}
