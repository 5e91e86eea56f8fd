#!/usr/bin/env node
// The `distribute` command: runs the compiled JavaScript in dist/ (built by `npm run build`, which
// npm runs by itself on `npm ci` / `npm install`). Nothing is transpiled at start-up.

// Before anything loads: a stop signal that arrives while the CLI starts is held for
// head/cli/stop-signals.ts instead of killing an agent mid-start (an agent SIGTERMed in its first
// second still hands its job back). Only for the long-running commands.
if (['agent', 'server', 'up'].includes(process.argv[2])) {
  const held = (globalThis[Symbol.for('distribute.heldSignals')] = []);
  const hold = (signal) => held.push(signal);
  held.release = () => { process.off('SIGINT', hold); process.off('SIGTERM', hold); };
  process.on('SIGINT', hold);
  process.on('SIGTERM', hold);
}
try {
  await import('../dist/head/cli/main.js');
} catch (err) {
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('/dist/head/cli/main.js')) {
    process.stderr.write('distribute: not built yet (dist/ is missing): run `npm run build` in the distribute folder\n');
    process.exit(1);
  }
  throw err;
}
