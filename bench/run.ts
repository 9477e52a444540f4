/**
 * `npm run bench`: what our relay adds to a streamed reply, measured in one run against a
 * loopback upstream, and the product's other figures, printed as one table (`-- --json`: the
 * figures as JSON on stdout, the table on stderr).
 *
 * The app runs as `npm start` runs it (its own process, Azurite; PGlite, and PostgreSQL too when
 * BENCH_DATABASE_URL is set); this process is only the client, and the upstream and a bare Node
 * pass-through proxy run in processes of their own, so no two share an event loop.
 *
 * Per chunk: each chunk carries the monotonic time it was written upstream; its latency is the
 * time it reached the client. Read directly from the upstream, that is the baseline; through the
 * proxy, what any hop costs on this machine; through the app, what we cost. Time to first byte
 * is measured to the first text delta.
 *
 * Flags: `--json`; `--relay` (skip the documents part, minutes long); `--soak[=minutes]` (300
 * streams for 3 minutes by default, then memory, handles and the books); `--db=pglite|postgres`.
 * BENCH_PROFILE_DIR=<dir> writes a CPU profile of the app for each measured window;
 * BENCH_REPEATS=3 measures each level three times and reports the medians; BENCH_APP_ROOT=<dir>
 * runs the app of another built checkout (`npx tsc -p tsconfig.build.json` there) to compare two commits.
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { scopedSchema } from '../dev/postgres-schema';
import { openDb } from '../shared/db/open';
import type { ProbeWindow } from './app-probe';
import { startApp, type AppProcess } from './app-process';
import { benchDocuments, type DocumentsFigures } from './documents';
import { signUp, signUpMany, upstreamPath, type Person } from './people';
import { arrive, figures, oneByOne, type Arrival, type Figures, type StreamPath } from './relay';
import { withCoresBusy } from './machine';
import { medianLevel } from './repeats';
import { checkBooks, soak, type SoakFigures } from './soak';
import { cpuPerReplyMs, printTable } from './table';

const CHUNKS = Number(process.env.BENCH_CHUNKS ?? 40);
const INTERVAL_MS = Number(process.env.BENCH_INTERVAL_MS ?? 25);
const LEVELS = (process.env.BENCH_LEVELS ?? process.env.BENCH_CONCURRENCY ?? '1,16,100,300')
  .split(',')
  .map(Number);
const RAMP_MS = Number(process.env.BENCH_RAMP_MS ?? 2000);
/** Bursts are repeated this many times and their samples pooled. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
/** Each level is measured this many times and its figures are the medians (bench/repeats.ts). */
const REPEATS = Math.max(1, Number(process.env.BENCH_REPEATS ?? 1));
/** A lone stream is sampled this many times. */
const SINGLE_ROUNDS = 20;

const args = process.argv.slice(2);
const asJson = args.includes('--json');
const relayOnly = args.includes('--relay');
const soakArg = args.find((a) => a === '--soak' || a.startsWith('--soak='));
const soakMinutes = soakArg ? Number(soakArg.split('=')[1] ?? 3) : 0;
/** `--db=postgres` (or `pglite`): only that database. */
const only = args
  .find((a) => a.startsWith('--db='))
  ?.slice(5)
  .toLowerCase();
const print = (line: string) => (asJson ? console.error(line) : console.log(line));

export interface LevelFigures {
  streams: number;
  arrival: 'one by one' | 'burst' | `ramp ${number} s`;
  direct: Figures;
  proxy: Figures;
  /** Each relayed path of the app (the web chat; the /api/v1 route joins here). */
  app: Record<string, Figures>;
  /** The app's event loop, CPU and memory while its streams ran (bench/app-probe.ts). */
  window: Record<string, ProbeWindow>;
  /** Cores the whole machine kept busy during each run (bench/machine.ts). */
  coresBusy: {
    direct: number;
    proxy: number;
    app: Record<string, number>;
    /** During each app path's run: cores held by the app, PostgreSQL, Azurite, the upstream, … */
    byProcess: Record<string, Record<string, number>>;
  };
  /** How many runs the figures are medians of. */
  repeats?: number;
}

export interface DatabaseFigures {
  database: 'PGlite' | 'PostgreSQL';
  coldStartMs: { fresh: number; restart: number };
  levels: LevelFigures[];
  /** Time to first byte (p50, ms) of a user with nothing, with one ready document, with memories. */
  firstByte: { plain: number; documents: number; memory: number };
  /**
   * RSS once warm, then idle again just before the 300 streams (what the levels before left, such
   * as PGlite's WASM heap, which never shrinks), then at its peak during them.
   */
  rss: { idleBytes: number; idleBefore300Bytes: number | null; peakAt300Bytes: number | null };
  soak: SoakFigures | null;
}

export interface BenchFigures {
  machine: { cores: number; loadAverage: number[]; node: string };
  setup: { chunks: number; intervalMs: number; rounds: number; rampMs: number; repeats: number };
  databases: DatabaseFigures[];
  web: WebFigures;
  documents: DocumentsFigures | null;
}

/**
 * The app's paths for a person, each measured at every level against the same baselines: the
 * web chat, and the same reply through the OpenAI-compatible API with the person's own key.
 * Another route joins by adding its path here.
 */
const appPaths = (p: Person): StreamPath[] => [p.chat, p.api];

async function forkServer(
  file: string,
  env: Record<string, string>,
): Promise<{ url: string; proc: ChildProcess }> {
  const proc = fork(path.join(__dirname, file), [], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve) => proc.once('message', (m) => resolve(m as string)));
  return { url, proc };
}

async function benchDatabase(opts: {
  root: string;
  database: DatabaseFigures['database'];
  databaseUrl?: string;
  upstreamUrl: string;
  proxyUrl: string;
  /** The benchmark's own processes, named in the cores-by-process figures. */
  pids: { upstream?: number; proxy?: number };
  withDocuments: boolean;
}): Promise<{ figures: DatabaseFigures; documents: DocumentsFigures | null }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gm-bench-'));
  const direct = upstreamPath('direct', opts.upstreamUrl);
  const proxy = upstreamPath('proxy', opts.proxyUrl);
  const start = () =>
    startApp({ root: opts.root, dataDir, upstreamUrl: opts.upstreamUrl, databaseUrl: opts.databaseUrl });
  let app: AppProcess | undefined = await start();
  let documents: DocumentsFigures | null = null;
  try {
    const fresh = app.coldStartMs;
    print(`\n${opts.database}: app up in ${(fresh / 1000).toFixed(2)} s (fresh data).`);

    // Warm every path (JIT, connections, first queries, the pools).
    const warm = await signUp(app.base, 'warm');
    for (let i = 0; i < 3; i++) {
      await oneByOne(direct, 1);
      await oneByOne(proxy, 1);
      for (const p of appPaths(warm)) await oneByOne(p, 1);
    }
    const maxStreams = Math.max(...LEVELS);
    const people = await signUpMany(app.base, 'relay', maxStreams);
    await arrive(people.slice(0, 10).flatMap(appPaths), { kind: 'burst' }, 1);
    const idleRss = await app.rss();

    const levels: LevelFigures[] = [];
    let peakAt300: number | null = null;
    let idleBefore300: number | null = null;
    for (const n of LEVELS) {
      if (n === 300) idleBefore300 = await app.rss();
      const arrivals: Arrival[] = n === 1 ? [] : [{ kind: 'burst' }, { kind: 'ramp', rampMs: RAMP_MS }];
      const runs: { label: LevelFigures['arrival']; run: (paths: StreamPath[]) => Promise<Figures> }[] =
        n === 1
          ? [{ label: 'one by one', run: async ([p]) => figures(await oneByOne(p!, SINGLE_ROUNDS)) }]
          : arrivals.map((a) => ({
              label: a.kind === 'burst' ? 'burst' : (`ramp ${a.rampMs / 1000} s` as const),
              run: async (paths) => figures(await arrive(paths, a, ROUNDS)),
            }));
      for (const { label, run } of runs) {
        const repeats: LevelFigures[] = [];
        for (let r = 0; r < REPEATS; r++) {
          const d = await withCoresBusy(() => run(Array.from({ length: n }, () => direct)));
          const x = await withCoresBusy(() => run(Array.from({ length: n }, () => proxy)));
          const appFigures: Record<string, Figures> = {};
          const window: Record<string, ProbeWindow> = {};
          const busy: Record<string, number> = {};
          const byProcess: Record<string, Record<string, number>> = {};
          const known = { app: app.pid, client: process.pid, ...opts.pids };
          for (const [k, name] of appPaths(people[0]!).map((p, k) => [k, p.name] as const)) {
            const probe = await app.probe(`${n} ${label} ${name}${REPEATS > 1 ? ` ${r + 1}` : ''}`);
            const measured = await withCoresBusy(
              () => run(people.slice(0, n).map((p) => appPaths(p)[k]!)),
              known,
            );
            window[name] = await probe.stop();
            appFigures[name] = measured.result;
            busy[name] = measured.coresBusy;
            byProcess[name] = measured.byProcess;
          }
          repeats.push({
            streams: n,
            arrival: label,
            direct: d.result,
            proxy: x.result,
            app: appFigures,
            window,
            coresBusy: { direct: d.coresBusy, proxy: x.coresBusy, app: busy, byProcess },
          });
        }
        const level = medianLevel(repeats);
        if (n === 300 && label === 'burst') peakAt300 = level.window.app?.peakRssBytes ?? null;
        levels.push(level);
        print(levelLine(level));
      }
    }

    // First byte with the features that add work before it: retrieval and recall.
    const [plain, reader, remembered] = await Promise.all([
      signUp(app.base, 'plain'),
      signUp(app.base, 'documents'),
      signUp(app.base, 'memory'),
    ]);
    await reader.addDocument(
      'harbour.txt',
      'The harbour report. The harbour of Lyon handles barges on the Rhône; its cranes were renewed in 2024. '.repeat(
        40,
      ),
    );
    for (const fact of ['Lives in Lyon', 'Prefers short answers', 'Works on barges in the harbour'])
      await remembered.addMemory(fact);
    const question = (p: Person): StreamPath => ({
      name: 'app',
      relayed: true,
      open: () => p.send('What does the harbour report say about the cranes?'),
    });
    const ttfb: Record<'plain' | 'documents' | 'memory', number[]> = { plain: [], documents: [], memory: [] };
    for (let i = 0; i < 10; i++) {
      ttfb.plain.push(...(await oneByOne(question(plain), 1)).map((s) => s.ttfbMs));
      ttfb.documents.push(...(await oneByOne(question(reader), 1)).map((s) => s.ttfbMs));
      ttfb.memory.push(...(await oneByOne(question(remembered), 1)).map((s) => s.ttfbMs));
    }
    const p50 = (v: number[]) => figures(v.map((t) => ({ ttfbMs: t, chunkMs: [] }))).ttfbP50;
    const firstByte = { plain: p50(ttfb.plain), documents: p50(ttfb.documents), memory: p50(ttfb.memory) };
    print(
      `  first byte p50: ${firstByte.plain.toFixed(1)} ms plain, ${firstByte.documents.toFixed(1)} ms with a document, ` +
        `${firstByte.memory.toFixed(1)} ms with memories`,
    );

    let soakFigures: SoakFigures | null = null;
    if (soakMinutes > 0) {
      print(`  soak: ${maxStreams} streams for ${soakMinutes} min …`);
      const run = await soak({
        app,
        people,
        minutes: soakMinutes,
        chunksPerReply: Number(process.env.BENCH_SOAK_CHUNKS ?? 400),
        print,
      });
      soakFigures = { ...run, books: { error: 'not read' } };
    }

    if (opts.withDocuments) {
      // Documents (bench/documents.ts): ingestion through this app, search at scale, retrieval quality.
      documents = await benchDocuments({
        base: app.base,
        database: opts.database,
        databaseUrl: process.env.BENCH_DATABASE_URL,
        print,
      });
    }

    await app.stop();
    app = undefined;
    if (soakFigures) soakFigures.books = await readBooks(opts.databaseUrl, dataDir);
    // A restart on the data just written: what a redeploy or a crash costs.
    app = await start();
    const restart = app.coldStartMs;
    print(`  restart: app up in ${(restart / 1000).toFixed(2)} s on existing data.`);
    return {
      figures: {
        database: opts.database,
        coldStartMs: { fresh, restart },
        levels,
        firstByte,
        rss: { idleBytes: idleRss, idleBefore300Bytes: idleBefore300, peakAt300Bytes: peakAt300 },
        soak: soakFigures,
      },
      documents,
    };
  } finally {
    await app?.stop();
    if (process.env.BENCH_KEEP_LOG)
      fs.copyFileSync(path.join(dataDir, 'app.log'), `/tmp/bench-app-${opts.database}.log`);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function readBooks(databaseUrl: string | undefined, dataDir: string): Promise<SoakFigures['books']> {
  try {
    // The app has stopped, so its embedded database can be opened here.
    const db = await openDb({ databaseUrl, pgliteDir: path.join(dataDir, 'pglite'), migrate: false });
    try {
      return await checkBooks(db);
    } finally {
      await db.close();
    }
  } catch (err) {
    return { error: String(err) };
  }
}

function levelLine(l: LevelFigures): string {
  const app = l.app.app!;
  const f = (x: number) => (Number.isNaN(x) ? '–' : x.toFixed(1));
  return (
    `  ${String(l.streams).padStart(3)} ${l.arrival.padEnd(10)} added TTFB p50 proxy ${f(l.proxy.ttfbP50 - l.direct.ttfbP50)} / app ${f(app.ttfbP50 - l.direct.ttfbP50)} ms; ` +
    `chunk p50 ${f(l.proxy.chunkP50 - l.direct.chunkP50)} / ${f(app.chunkP50 - l.direct.chunkP50)}, ` +
    `p99 ${f(l.proxy.chunkP99 - l.direct.chunkP99)} / ${f(app.chunkP99 - l.direct.chunkP99)} ms; ` +
    `errors ${app.errors}${app.errorSamples.length ? ` (${app.errorSamples.join('; ')})` : ''}; ` +
    `app loop delay p99 ${f(l.window.app?.loopDelay.p99 ?? Number.NaN)} ms, ` +
    `cores busy proxy ${f(l.coresBusy.proxy)} / app ${f(l.coresBusy.app.app ?? Number.NaN)}, ` +
    `CPU ${f(l.window.app ? cpuPerReplyMs(l.window.app, app.streams) : Number.NaN)} ms/reply`
  );
}

async function main(): Promise<void> {
  // Another built checkout's app, measured by this bench: an A/B of two commits in one way.
  const root = process.env.BENCH_APP_ROOT
    ? path.resolve(process.env.BENCH_APP_ROOT)
    : path.resolve(__dirname, '..', '..');
  const upstream = await forkServer('stamped-upstream-main.js', {
    BENCH_CHUNKS: String(CHUNKS),
    BENCH_INTERVAL_MS: String(INTERVAL_MS),
  });
  const proxy = await forkServer('bare-proxy-main.js', { BENCH_UPSTREAM_URL: upstream.url });
  const loadAtStart = os.loadavg();
  print(
    `Benchmark: ${CHUNKS} chunks every ${INTERVAL_MS} ms per stream, loopback, ${os.cpus().length} cores, ` +
      `load average ${loadAtStart.map((l) => l.toFixed(1)).join(' ')}` +
      (loadAtStart[0]! > os.cpus().length ? ' (other work shares this machine: figures are noisier)' : ''),
  );
  const databases: DatabaseFigures[] = [];
  let documents: DocumentsFigures | null = null;
  const pgScope = process.env.BENCH_DATABASE_URL
    ? await scopedSchema(process.env.BENCH_DATABASE_URL, 'bench')
    : null;
  try {
    const targets: { database: DatabaseFigures['database']; databaseUrl?: string }[] = [
      { database: 'PGlite' },
      ...(pgScope ? [{ database: 'PostgreSQL' as const, databaseUrl: pgScope.url }] : []),
    ];
    const chosen = targets.filter((x) => !only || x.database.toLowerCase().startsWith(only));
    for (const [i, t] of chosen.entries()) {
      const r = await benchDatabase({
        root,
        ...t,
        upstreamUrl: upstream.url,
        proxyUrl: proxy.url,
        pids: { upstream: upstream.proc.pid, proxy: proxy.proc.pid },
        // Last: its 100,000-chunk loads keep PostgreSQL busy (autovacuum) well after they end,
        // which a relay measured after them would count as ours.
        withDocuments: !relayOnly && i === chosen.length - 1,
      });
      databases.push(r.figures);
      documents ??= r.documents;
    }
    if (!pgScope) print('\n(PostgreSQL: set BENCH_DATABASE_URL=postgres://… to measure it too)');
  } finally {
    upstream.proc.kill('SIGTERM');
    proxy.proc.kill('SIGTERM');
    await pgScope?.drop();
  }
  const all: BenchFigures = {
    machine: { cores: os.cpus().length, loadAverage: os.loadavg(), node: process.version },
    setup: { chunks: CHUNKS, intervalMs: INTERVAL_MS, rounds: ROUNDS, rampMs: RAMP_MS, repeats: REPEATS },
    databases,
    web: await webSize(root),
    documents,
  };
  printTable(all, print);
  if (asJson) console.log(JSON.stringify(all));
}

/** What web/scripts/size.mjs exports (typed in its size.d.mts, which this CommonJS file cannot import). */
interface WebSizeModule {
  INITIAL_JS_BUDGET_BYTES: number;
  measureInitialJs(distDir: string): {
    gzipBytes: number;
    css: { gzipBytes: number };
    lazy: { gzipBytes: number };
  };
}

export interface WebFigures {
  initialJsGzipBytes: number;
  budgetBytes: number;
  initialCssGzipBytes: number;
  lazyGzipBytes: number;
}

/** The SPA's initial JS for the chat screen, as the build measures it (npm run bench builds it first). */
async function webSize(root: string): Promise<WebFigures> {
  const size = (await import(pathToFileURL(path.join(root, 'web/scripts/size.mjs')).href)) as WebSizeModule;
  const m = size.measureInitialJs(path.join(root, 'web/dist'));
  return {
    initialJsGzipBytes: m.gzipBytes,
    budgetBytes: size.INITIAL_JS_BUDGET_BYTES,
    initialCssGzipBytes: m.css.gzipBytes,
    lazyGzipBytes: m.lazy.gzipBytes,
  };
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
