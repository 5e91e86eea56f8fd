// The Electron entry point (electron-builder's extraMetadata.main; in development run
// `npx electron electron/main/entry.mjs`). The sources are TypeScript run without a build step, as
// the CLI does (bin/distribute.js): register tsx's ESM loader hooks in this process, then import
// the real shell. Plain JavaScript, so nothing here needs the loader it registers; ESM because
// Electron >= 28 loads ESM entry points and tsx's CommonJS flavour of this API fails to register.
import { register } from 'tsx/esm/api';

register();
try {
  await import('./main.ts');
} catch (err) {
  console.error('distribute tray failed to load:', err);
  process.exit(1);
}
