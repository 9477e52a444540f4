/**
 * The documents benchmarks alone, without the relay part of `npm run bench`:
 * `npx tsc -p tsconfig.build.json && node dist/bench/documents-main.js [--json]`.
 * Starts the app as run.ts does (its own process, PGlite or BENCH_DATABASE_URL, Azurite).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchDocuments } from './documents';

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '..', '..');
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'gm-bench-docs-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const log = path.join(data, 'app.log');
  const app = spawn(process.execPath, [path.join(root, 'dist/dev/host/main.js')], {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(port),
      DATA_DIR: data,
      DATABASE_URL: process.env.BENCH_DATABASE_URL ?? '',
      REGISTRATIONS_PER_CLIENT_PER_HOUR: '1000000',
    },
    stdio: ['ignore', fs.openSync(log, 'a'), fs.openSync(log, 'a')],
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; ; i++) {
      if (app.exitCode !== null) throw new Error(`app exited early:\n${fs.readFileSync(log, 'utf8')}`);
      if (i > 600) throw new Error(`app did not start:\n${fs.readFileSync(log, 'utf8')}`);
      const up = await fetch(`${base}/api/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (up) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const figures = await benchDocuments({
      base,
      database: process.env.BENCH_DATABASE_URL ? 'PostgreSQL' : 'PGlite',
      databaseUrl: process.env.BENCH_DATABASE_URL,
    });
    if (process.argv.includes('--json')) console.log(JSON.stringify({ documents: figures }));
  } finally {
    app.kill('SIGTERM');
    if (app.exitCode === null) await new Promise((r) => app.once('exit', r));
    fs.rmSync(data, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
