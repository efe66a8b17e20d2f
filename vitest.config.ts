import { defineConfig } from 'vitest/config';

// One runner for all TypeScript: unit tests sit beside their module (`*.test.ts`),
// cross-module and end-to-end tests under `test/`.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'web/src/**/*.test.{ts,tsx}'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
