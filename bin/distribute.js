#!/usr/bin/env node
// The `distribute` command: runs the compiled JavaScript in dist/ (built by `npm run build`, which
// npm runs by itself on `npm ci` / `npm install`). Nothing is transpiled at start-up.
try {
  await import('../dist/head/cli/main.js');
} catch (err) {
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('/dist/head/cli/main.js')) {
    process.stderr.write('distribute: not built yet (dist/ is missing): run `npm run build` in the distribute folder\n');
    process.exit(1);
  }
  throw err;
}
