/**
 * Global setup of the e2e project: builds the SPA from the current source into a temporary
 * directory (so `npm test` works before `npm run build`, never tests a stale web/dist, and does not
 * replace the files a running `npm start` serves). Tests get the directory with `inject('webDist')`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { build } from 'vite';

declare module 'vitest' {
  export interface ProvidedContext {
    webDist: string;
  }
}

export default async function buildWeb(project: TestProject) {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gm-web-e2e-'));
  await build({
    configFile: path.resolve(import.meta.dirname, '../../web/vite.config.ts'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  });
  project.provide('webDist', outDir);
  return () => fs.rmSync(outDir, { recursive: true, force: true });
}
