import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'functions/**/*.test.ts', 'local/**/*.test.ts', 'cli/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The suite is I/O bound on one MariaDB; two cores run it best with a few workers.
    maxWorkers: 4,
  },
});
