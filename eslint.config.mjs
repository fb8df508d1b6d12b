import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  'node:*',
  'fs',
  'fs/promises',
  'path',
  'os',
  'child_process',
  'crypto',
  'http',
  'https',
  'net',
  'dns',
  'tls',
  'stream',
  'zlib',
  'worker_threads',
  'cluster',
  'process',
  'timers',
  'events',
  'readline',
  'buffer',
  'v8',
  'vm',
  'perf_hooks',
  'async_hooks',
  'dgram',
  'http2',
  'module',
];

export default tseslint.config(
  { ignores: ['dist/**', 'portal/dist/**', 'node_modules/**', '.data/**', '.tools/**', 'test/histories/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test's test()/describe() return promises the runner itself awaits.
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.name='parseFloat']", message: 'Money is integer paise: no floats.' },
      ],
    },
  },
  {
    // Workflows are deterministic and bundled for the sandbox: no Node built-ins, no I/O
    // libraries, and activities only as types (proxyActivities<typeof ...>).
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: nodeBuiltins, message: 'Workflow code may not import Node built-ins.' },
            {
              group: ['**/activities', '**/activities/*'],
              allowTypeImports: true,
              message: 'Workflows import activity types only (import type ...).',
            },
            {
              group: [
                '@temporalio/activity',
                '@temporalio/client',
                '@temporalio/worker',
                '@temporalio/testing',
                'knex',
                'pg',
                'express',
                'twilio',
                'nodemailer',
                'pino',
              ],
              allowTypeImports: true,
              message: 'Workflow code may not do I/O.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
