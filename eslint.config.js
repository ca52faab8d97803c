// Lint rules that guard the architecture (style.md): no forgotten awaits, and
// workflow code that stays inside Temporal's deterministic sandbox.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const worldImports = {
  patterns: [
    {
      group: [
        'node:*',
        'fs',
        'http',
        'https',
        'net',
        'crypto',
        'child_process',
        'pg',
        'drizzle-orm',
        'drizzle-orm/*',
        'nodemailer',
        '@slack/*',
        'fastify',
        '@temporalio/client',
        '@temporalio/worker',
        '@temporalio/activity',
      ],
      message: 'Workflow and interpreter code must be deterministic: side effects belong in activities/.',
    },
    {
      group: ['../activities', '../activities/*', '../db', '../db/*', '../api/*'],
      allowTypeImports: true,
      message: 'Only `import type` from activities/ or db/ inside workflow code.',
    },
  ],
};

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      '.data/**',
      '.tools/**',
      'db/migrations/**',
      'coverage/**',
      'web/dist/**',
      'test-results/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // Prettier keeps code within 120 columns; it cannot break a string, a template or a comment: those are on us.
      'max-len': [
        'error',
        { code: 120, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreUrls: true },
      ],
    },
  },
  {
    // Preloaded with `node --require` (workflow-thread.cjs), so CommonJS.
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', process: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  // Generated from the OpenAPI document (npm run client:generate): its line lengths are the generator's.
  { files: ['client/**'], rules: { 'max-len': 'off' } },
  {
    // Data flows one way (architecture.md): the worker's side never reaches back into the API.
    files: ['runs/**/*.ts', 'reports/**/*.ts', 'activities/**/*.ts', 'lib/**/*.ts', 'db/**/*.ts', 'worker.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['./api', './api/*', '../api', '../api/*', '../../api/*'],
              message:
                'The worker side does not import api/: starting runs lives in runs/, domain errors in lib/domain-errors.ts.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['workflows/**/*.ts', 'interpreter/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', worldImports] },
  },
  {
    files: ['interpreter/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@temporalio/*'], message: 'interpreter/ is pure: no Temporal imports.' }] },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'interpreter/ has no clock: take the time as input.',
        },
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'interpreter/ has no clock: take the time as input.',
        },
        {
          selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']",
          message: 'interpreter/ has no randomness.',
        },
        {
          selector: "CallExpression[callee.name='eval'], NewExpression[callee.name='Function']",
          message: 'No code from definitions ever runs.',
        },
      ],
    },
  },
);
