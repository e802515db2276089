import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // CLI tests start real processes against fake servers; a loaded 2-core CI box needs room.
    // Most time is spent in CLI subprocesses: two test files at once keep both cores of a
    // 2-core CI box busy (vitest would otherwise run one file at a time there).
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The JSON report is what .ci/run reads its "tests: N passed, N failed" line from.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
  },
});
