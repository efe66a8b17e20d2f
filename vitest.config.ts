import { defineConfig } from 'vitest/config';

// One runner for all TypeScript: unit tests sit beside their module (`*.test.ts`),
// cross-module and end-to-end tests under `test/`. The whole run gets an empty HOME of its own
// (test/helpers/sandbox-home.ts): no test writes into the user's ~/.cache/toonlora, and one that would fails the run.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'web/src/**/*.test.{ts,tsx}'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    globalSetup: ['test/helpers/sandbox-home.ts'],
    reporters: ['default'],
  },
});
