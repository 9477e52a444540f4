#!/usr/bin/env node
/**
 * The chat screen's initial JavaScript, gzipped: the entry chunk plus every chunk it imports
 * statically (what the browser must load before the first render; lazy chunks are excluded).
 * Reads the Vite manifest of a build.
 *
 *   node web/scripts/size.mjs [--dist web/dist] [--budget-kb 60] [--json]
 *
 * Exits 1 when over budget. `measureInitialJs(distDir)` is the same measurement for other scripts
 * (bench/), `INITIAL_JS_BUDGET_BYTES` the budget.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

export const INITIAL_JS_BUDGET_BYTES = 60 * 1024;

const gzipSize = (buffer) => zlib.gzipSync(buffer, { level: 9 }).length;

/**
 * @param {string} distDir the build's output directory (web/dist)
 * @returns {{ files: { file: string, bytes: number, gzipBytes: number }[], bytes: number, gzipBytes: number,
 *   css: { bytes: number, gzipBytes: number }, lazy: { bytes: number, gzipBytes: number } }}
 */
export function measureInitialJs(distDir) {
  const manifestPath = path.join(distDir, '.vite', 'manifest.json');
  if (!fs.existsSync(manifestPath)) throw new Error(`${manifestPath} not found: run vite build first`);
  /** @type {Record<string, { file: string, isEntry?: boolean, imports?: string[], css?: string[] }>} */
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  const entries = Object.entries(manifest).filter(([, chunk]) => chunk.isEntry);
  if (entries.length === 0) throw new Error('the manifest has no entry chunk');

  const initial = new Set();
  const css = new Set();
  const visit = (key) => {
    const chunk = manifest[key];
    if (!chunk || initial.has(chunk.file)) return;
    initial.add(chunk.file);
    for (const file of chunk.css ?? []) css.add(file);
    for (const imported of chunk.imports ?? []) visit(imported);
  };
  for (const [key] of entries) visit(key);

  const measure = (file) => {
    const buffer = fs.readFileSync(path.join(distDir, file));
    return { file, bytes: buffer.length, gzipBytes: gzipSize(buffer) };
  };
  const sum = (list) => ({
    bytes: list.reduce((n, f) => n + f.bytes, 0),
    gzipBytes: list.reduce((n, f) => n + f.gzipBytes, 0),
  });
  const files = [...initial].filter((f) => f.endsWith('.js')).map(measure);
  const lazyFiles = [...new Set(Object.values(manifest).map((c) => c.file))]
    .filter((f) => f.endsWith('.js') && !initial.has(f))
    .map(measure);
  return { files, ...sum(files), css: sum([...css].map(measure)), lazy: sum(lazyFiles) };
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

function main(argv) {
  const arg = (name, fallback) => {
    const i = argv.indexOf(name);
    return i >= 0 && argv[i + 1] ? argv[i + 1] : fallback;
  };
  const here = path.dirname(fileURLToPath(import.meta.url));
  const distDir = path.resolve(arg('--dist', path.join(here, '..', 'dist')));
  const budget = Number(arg('--budget-kb', String(INITIAL_JS_BUDGET_BYTES / 1024))) * 1024;
  const result = measureInitialJs(distDir);
  const over = result.gzipBytes > budget;
  if (argv.includes('--json')) {
    console.log(JSON.stringify({ ...result, budgetBytes: budget, overBudget: over }, null, 2));
  } else {
    console.log('Initial JS of the chat screen (gzip -9):');
    for (const f of result.files)
      console.log(`  ${f.file.padEnd(40)} ${kb(f.bytes).padStart(9)}  gzip ${kb(f.gzipBytes)}`);
    console.log(
      `  ${'total'.padEnd(40)} ${kb(result.bytes).padStart(9)}  gzip ${kb(result.gzipBytes)} (budget ${kb(budget)})`,
    );
    console.log(
      `  initial CSS gzip ${kb(result.css.gzipBytes)}; lazy chunks gzip ${kb(result.lazy.gzipBytes)} (not in the budget)`,
    );
    if (over) console.error(`Over budget by ${kb(result.gzipBytes - budget)}.`);
  }
  return over ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
