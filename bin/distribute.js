#!/usr/bin/env node
// The `distribute` command. Sources are TypeScript run through tsx, so a fresh `npm ci` is enough.
import { register } from 'tsx/esm/api';
register();
await import('../head/cli/main.ts');
