// Lint: typescript-eslint's recommended rules plus the package half of the layering rule (the path half,
// which folder may import which, is test/unit/layering.test.ts): shared/ and the agent core
// (electron/agent/) must never import electron, and shared/ must not import server or fs-heavy libs.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'python/**', 'docs/**', 'test-output/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: ['electron', 'express', 'ws', 'lowdb', 'systeminformation', 'node-notifier'].map((name) => ({
          name, message: 'shared/ is pure code both sides import: no electron, express, ws, lowdb or system libraries.',
        })),
        patterns: [{ group: ['lowdb/*', 'electron/*'], message: 'shared/ must stay free of lowdb and electron.' }],
      }],
    },
  },
  {
    files: ['electron/agent/**/*.ts', 'head/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'electron', message: 'The agent core and the head run headless: only electron/main/ may import electron.' }],
      }],
    },
  },
);
