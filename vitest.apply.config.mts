import { defineConfig } from 'vitest/config';

// `npm run test:apply`: the apply tier (test/apply/), kept out of `npm test` because its control plane
// takes about 35 minutes to build cold (README, "Apply tier").
export default defineConfig({
  test: {
    include: ['test/apply/**/*.test.ts'],
    setupFiles: ['test/support/setup.ts'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    maxWorkers: 1,
  },
});
