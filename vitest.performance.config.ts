// `npm run test:performance`: the console's time budgets (test/browser/*.perf.ts), one file at a time and apart
// from `npm test`, whose files run side by side and would measure each other.
import { defineConfig } from 'vitest/config';
import base from './vitest.config';

// Spread, not mergeConfig: merging would add to `include` (and so run every test) rather than replace it.
export default defineConfig({
  ...base,
  test: { ...base.test, include: ['test/browser/**/*.perf.ts'], fileParallelism: false },
});
