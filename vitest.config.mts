import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['shared/**/*.test.ts', 'functions/**/*.test.ts', 'dev/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**', 'web/**'],
    // Each test file opens its own PGlite (initdb in WASM takes seconds) and often Azurite.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
