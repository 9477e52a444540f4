/**
 * The app under test, run as `npm start` runs it (dev/host/main.js in its own process, Azurite
 * started by the host), with the probe of bench/app-probe.ts loaded so the benchmark can read its
 * event loop, CPU and memory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePorts } from '../dev/host/azurite';
import type { ProbeAnswer, ProbeRequest, ProbeWindow } from './app-probe';

export interface AppProcess {
  base: string;
  pid: number;
  /** Process start to the first 200 from /api/health. */
  coldStartMs: number;
  /** Starts a probe window in the app; `stop` ends it and returns what it saw. */
  probe(name: string): Promise<{ stop(): Promise<ProbeWindow> }>;
  rss(): Promise<number>;
  /** Resource counts by type (process.getActiveResourcesInfo), a leak shows as growth. */
  resources(): Promise<Record<string, number>>;
  /** Heap in use after a full collection, and RSS then. */
  heap(): Promise<{ heapUsed: number; external: number; rss: number }>;
  openFiles(): number;
  stop(): Promise<void>;
  log(): string;
}

export async function startApp(opts: {
  root: string;
  dataDir: string;
  upstreamUrl: string;
  databaseUrl?: string;
  env?: Record<string, string>;
}): Promise<AppProcess> {
  const [port] = await freePorts(1);
  const log = path.join(opts.dataDir, 'app.log');
  fs.mkdirSync(opts.dataDir, { recursive: true });
  const out = fs.openSync(log, 'a');
  const t0 = performance.now();
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--require',
      path.join(__dirname, 'app-probe.js'),
      // So the probe can collect before reading the heap (the soak's leak check).
      '--expose-gc',
      ...(process.env.BENCH_APP_NODE_ARGS ?? '').split(' ').filter(Boolean),
      path.join(opts.root, 'dist/dev/host/main.js'),
    ],
    {
      cwd: opts.root,
      env: {
        ...process.env,
        PORT: String(port),
        DATA_DIR: opts.dataDir,
        OPENROUTER_BASE_URL: opts.upstreamUrl,
        DATABASE_URL: opts.databaseUrl ?? '',
        // The other stand-ins the host starts must not collide with an `npm start` running here.
        FAKE_UPSTREAM_PORT: '0',
        FAKE_STRIPE_PORT: '0',
        FAKE_GOOGLE_PORT: '0',
        FAKE_MICROSOFT_PORT: '0',
        // The benchmark measures the relay, not the limits: credit and room for every stream.
        SIGNUP_BONUS_CREDITS: '1000000000',
        MAX_CONCURRENT_STREAMS: '1000',
        API_KEY_MAX_CONCURRENT_STREAMS: '1000',
        API_KEY_REQUESTS_PER_MINUTE: '100000',
        // Every streamer signs up from 127.0.0.1.
        REGISTRATIONS_PER_CLIENT_PER_HOUR: '1000000',
        ...opts.env,
      },
      stdio: ['ignore', out, out, 'ipc'],
    },
  );
  fs.closeSync(out);
  const base = `http://127.0.0.1:${port}`;
  const readLog = () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '');

  // Polled often: this is the cold-start figure.
  for (;;) {
    if (child.exitCode !== null) throw new Error(`app exited early:\n${readLog()}`);
    try {
      if ((await fetch(`${base}/api/health`)).ok) break;
    } catch {
      // not up yet
    }
    if (performance.now() - t0 > 180_000) throw new Error(`app did not start:\n${readLog()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  const coldStartMs = performance.now() - t0;

  const ask = <A extends ProbeAnswer['probe']>(req: ProbeRequest, answer: A) =>
    new Promise<Extract<ProbeAnswer, { probe: A }>>((resolve) => {
      const on = (m: ProbeAnswer) => {
        if (m.probe !== answer) return;
        child.off('message', on);
        resolve(m as Extract<ProbeAnswer, { probe: A }>);
      };
      child.on('message', on);
      child.send(req);
    });

  return {
    base,
    pid: child.pid!,
    coldStartMs,
    async probe(name) {
      await ask({ probe: 'start', name }, 'started');
      return { stop: async () => (await ask({ probe: 'stop' }, 'stopped')).window };
    },
    rss: async () => (await ask({ probe: 'rss' }, 'rss')).bytes,
    resources: async () => (await ask({ probe: 'resources' }, 'resources')).counts,
    heap: async () => (await ask({ probe: 'heap' }, 'heap')).bytes,
    openFiles: () => fs.readdirSync(`/proc/${child.pid}/fd`).length,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
    log: readLog,
  };
}
