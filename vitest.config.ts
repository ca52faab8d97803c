import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', '.data/**', '.tools/**', 'web/**'],
    // One Temporal dev server and one workflow bundle for the whole run (test/global-setup.ts).
    globalSetup: ['test/global-setup.ts', 'test/browser/console-build.setup.ts'],
    // The Temporal worker's native core and PGlite's WASM are happiest in child processes.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 180_000,
    teardownTimeout: 30_000,
    // The default summary, then one plain line CI can read (test/support/closing-line-reporter.ts).
    reporters: ['default', './test/support/closing-line-reporter.ts'],
  },
});
