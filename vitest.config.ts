import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Test files in a worker share one embedded database (see test/support/databases.ts); each test has its own workspace.
    isolate: false,
    maxWorkers: 3,
  },
});
