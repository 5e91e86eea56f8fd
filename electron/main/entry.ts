/**
 * The Electron entry point (package.json "main": dist/electron/main/entry.js, after `npm run
 * build`). It only imports the real shell so a load failure (a missing module, a broken build)
 * prints one clear line and exits instead of leaving a windowless Electron running.
 */
try {
  await import('./main.ts');
} catch (err) {
  console.error('distribute tray failed to load:', err);
  process.exit(1);
}
