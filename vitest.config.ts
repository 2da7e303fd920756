import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A per-run temp root for embedded servers; teardown kills any leftovers.
    globalSetup: ['./test/support/global-setup.ts'],
    // Tests start real ovsdb-server / ovn-northd processes; two cores.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
