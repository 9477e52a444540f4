import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Each test file opens its own PGlite (initdb in WASM takes seconds) and often Azurite.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['shared/**/*.test.ts', 'functions/**/*.test.ts', 'dev/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['node_modules/**', 'dist/**', 'web/**', 'test/e2e/**'],
        },
      },
      {
        // The web app's own tests: components and modules in a DOM (jsdom), no server.
        extends: true,
        oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
        test: {
          name: 'web',
          include: ['web/src/**/*.test.{ts,tsx}'],
          environment: 'jsdom',
          setupFiles: ['web/src/jsdom-setup.ts'],
        },
      },
      {
        // Real Chromium against the whole product; the global setup builds the SPA first.
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/e2e/build-web.mts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
