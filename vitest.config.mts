import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The apply tier runs on its own: `npm run test:apply` (vitest.apply.config.mts).
    exclude: [...configDefaults.exclude, 'test/apply/**'],
    setupFiles: ['test/support/setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Synthesis is CPU-bound; two cores on the CI machine.
    pool: 'forks',
    maxWorkers: 2,
  },
});
