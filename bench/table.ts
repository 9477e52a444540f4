/** The benchmark's one table: relay overhead per database, the goals of issue 14, the other figures. */
import type { ProbeWindow } from './app-probe';
import type { BenchFigures, DatabaseFigures, LevelFigures } from './run';

const f1 = (x: number | null | undefined) =>
  x === null || x === undefined || Number.isNaN(x) ? '–' : x.toFixed(1);
const f2 = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '–' : x.toFixed(2));
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

/**
 * A proxy that adds (within noise) nothing would make any ratio infinite; below this floor the
 * proxy's figure counts as this much, the resolution that matters for a chunk.
 */
const PROXY_FLOOR_MS = 0.1;

interface Added {
  ttfbP50: { proxy: number; app: number };
  chunkP50: { proxy: number; app: number };
  chunkP99: { proxy: number; app: number };
}

function added(l: LevelFigures, path = 'app'): Added {
  const a = l.app[path]!;
  return {
    ttfbP50: { proxy: l.proxy.ttfbP50 - l.direct.ttfbP50, app: a.ttfbP50 - l.direct.ttfbP50 },
    chunkP50: { proxy: l.proxy.chunkP50 - l.direct.chunkP50, app: a.chunkP50 - l.direct.chunkP50 },
    chunkP99: { proxy: l.proxy.chunkP99 - l.direct.chunkP99, app: a.chunkP99 - l.direct.chunkP99 },
  };
}

const ratio = (x: { proxy: number; app: number }) => x.app / Math.max(x.proxy, PROXY_FLOOR_MS);

function table(rows: string[][], print: (l: string) => void): void {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  for (const [i, r] of rows.entries()) {
    print(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join(' │ '));
    if (i === 0) print(widths.map((w) => '─'.repeat(w)).join('─┼─'));
  }
}

function relayTable(d: DatabaseFigures, cores: number, print: (l: string) => void): void {
  print(`\n${d.database}: added = path − direct upstream (ms); × = app's added ÷ proxy's added`);
  print(
    `  cores busy = the whole machine's (app, database, Azurite, upstream, this client) during the run, of ${cores}` +
      (d.levels.some((l) => (l.repeats ?? 1) > 1) ? `; medians of ${d.levels[0]?.repeats ?? 1} runs` : ''),
  );
  const paths = Object.keys(d.levels[0]?.app ?? { app: 0 });
  const rows: string[][] = [
    [
      'streams, arrival',
      'path',
      'TTFB p50 +proxy',
      '+app',
      'chunk p50 +proxy',
      '+app',
      '×',
      'chunk p99 +proxy',
      '+app',
      '×',
      'errors',
      'loop p99',
      'loop busy',
      'CPU s/s',
      'CPU ms/reply',
      'cores busy +proxy',
      '+app',
    ],
  ];
  for (const l of d.levels) {
    for (const p of paths) {
      const a = added(l, p);
      const w = l.window[p];
      rows.push([
        `${l.streams}, ${l.arrival}`,
        p,
        f1(a.ttfbP50.proxy),
        f1(a.ttfbP50.app),
        f1(a.chunkP50.proxy),
        f1(a.chunkP50.app),
        f1(ratio(a.chunkP50)),
        f1(a.chunkP99.proxy),
        f1(a.chunkP99.app),
        f1(ratio(a.chunkP99)),
        String(l.app[p]!.errors),
        w ? f1(w.loopDelay.p99) : '–',
        w ? `${(w.loopUtilisation * 100).toFixed(0)} %` : '–',
        w ? w.cpuPerSecond.toFixed(2) : '–',
        w ? f1(cpuPerReplyMs(w, l.app[p]!.streams)) : '–',
        f1(l.coresBusy.proxy),
        f1(l.coresBusy.app[p]),
      ]);
    }
  }
  table(rows, print);
  coresTable(d, paths, print);
}

/** Who held the machine's cores while the app's streams ran: ours, the stand-ins', the client's. */
function coresTable(d: DatabaseFigures, paths: string[], print: (l: string) => void): void {
  const order = ['app', 'PostgreSQL', 'Azurite', 'upstream', 'client', 'proxy', 'other'];
  const seen = new Set(
    d.levels.flatMap((l) => paths.flatMap((p) => Object.keys(l.coresBusy.byProcess[p] ?? {}))),
  );
  const names = order.filter((n) => seen.has(n));
  if (names.length === 0) return;
  print(
    `\n${d.database}: cores held by each process during the app's runs (Azurite stands in for Azure Storage)`,
  );
  const rows: string[][] = [['streams, arrival', 'path', 'all', ...names]];
  for (const l of d.levels)
    for (const p of paths) {
      const by = l.coresBusy.byProcess[p] ?? {};
      rows.push([
        `${l.streams}, ${l.arrival}`,
        p,
        f2(l.coresBusy.app[p]),
        ...names.map((n) => f2(by[n] ?? 0)),
      ]);
    }
  table(rows, print);
}

/**
 * The app's CPU (all its threads) in the window per reply streamed in it: steadier from run to
 * run than latencies on a shared machine, so the figure to compare a change by. Background work
 * a reply queues (memory extraction) may fall into the next window.
 */
export const cpuPerReplyMs = (w: ProbeWindow, replies: number) =>
  replies > 0 ? (w.cpuPerSecond * w.seconds * 1000) / replies : Number.NaN;

type Check = { value: string; ok: boolean | null };

function goals(d: DatabaseFigures): { goal: string; check: Check }[] {
  const level = (n: number, arrival: string) =>
    d.levels.find((l) => l.streams === n && l.arrival === arrival);
  const one = level(1, 'one by one');
  const b100 = level(100, 'burst');
  const b300 = level(300, 'burst');
  const r300 = d.levels.find((l) => l.streams === 300 && l.arrival.startsWith('ramp'));
  const within = (l: LevelFigures | undefined, k: 'chunkP50' | 'chunkP99', factor: number): Check => {
    if (!l) return { value: 'not run', ok: null };
    const a = added(l)[k];
    return {
      value: `${f1(a.app)} vs ${f1(a.proxy)}`,
      ok: a.app <= factor * Math.max(a.proxy, PROXY_FLOOR_MS),
    };
  };
  const ttfb = (l: LevelFigures | undefined, slack: number): Check => {
    if (!l) return { value: 'not run', ok: null };
    const a = added(l).ttfbP50;
    return { value: `${f1(a.app)} vs ${f1(a.proxy)}`, ok: a.app <= a.proxy + slack };
  };
  const noErrors = (...ls: (LevelFigures | undefined)[]): Check => {
    const run = ls.filter((l): l is LevelFigures => l !== undefined);
    if (!run.length) return { value: 'not run', ok: null };
    const errors = run.reduce((n, l) => n + Object.values(l.app).reduce((m, f) => m + f.errors, 0), 0);
    return { value: `${errors} errors`, ok: errors === 0 };
  };
  const rss = d.rss.peakAt300Bytes;
  const idle = d.rss.idleBefore300Bytes ?? d.rss.idleBytes;
  return [
    { goal: '1 stream: first byte added ≤ proxy’s + 10 ms (p50)', check: ttfb(one, 10) },
    { goal: '100, burst: chunk added ≤ 2× proxy’s (p50)', check: within(b100, 'chunkP50', 2) },
    { goal: '100, burst: chunk added ≤ 2× proxy’s (p99)', check: within(b100, 'chunkP99', 2) },
    { goal: '100, burst: first byte added ≤ proxy’s + 50 ms (p50)', check: ttfb(b100, 50) },
    { goal: '300: no error (burst and ramp)', check: noErrors(b300, r300) },
    { goal: '300, burst: chunk added ≤ 3× proxy’s (p50)', check: within(b300, 'chunkP50', 3) },
    { goal: '300, burst: chunk added ≤ 3× proxy’s (p99)', check: within(b300, 'chunkP99', 3) },
    {
      goal: 'RSS above idle at 300 streams ≤ 150 MB',
      check:
        rss === null
          ? { value: 'not run', ok: null }
          : { value: mb(rss - idle), ok: rss - idle <= 150 * 2 ** 20 },
    },
  ];
}

export function printTable(all: BenchFigures, print: (l: string) => void): void {
  print(
    `\n═══ Benchmark summary — ${all.machine.cores} cores, load average ${all.machine.loadAverage.map((l) => l.toFixed(1)).join(' ')}, ` +
      `${all.setup.chunks} chunks every ${all.setup.intervalMs} ms per stream, bursts ×${all.setup.rounds}` +
      `${all.setup.repeats > 1 ? `, medians of ${all.setup.repeats} runs` : ''} ═══`,
  );
  for (const d of all.databases) relayTable(d, all.machine.cores, print);

  print('\nGoals (issue 14), app vs proxy, ms:');
  const perDb = all.databases.map((d) => goals(d));
  const mark = (c: Check) => `${c.value} ${c.ok === null ? '' : c.ok ? '✓' : '✗'}`.trim();
  table(
    [
      ['goal', ...all.databases.map((d) => d.database)],
      ...(perDb[0] ?? []).map((g, i) => [g.goal, ...perDb.map((p) => mark(p[i]!.check))]),
    ],
    print,
  );

  print('\nOther figures:');
  const rows: string[][] = [['figure', ...all.databases.map((d) => d.database)]];
  const per = (name: string, value: (d: DatabaseFigures) => string) =>
    rows.push([name, ...all.databases.map(value)]);
  per('first byte p50, no documents or memory (ms)', (d) => f1(d.firstByte.plain));
  per('  + with one ready document (retrieval)', (d) => f1(d.firstByte.documents - d.firstByte.plain));
  per('  + with memories (recall)', (d) => f1(d.firstByte.memory - d.firstByte.plain));
  per('cold start, fresh data: process start → first 200 (s)', (d) =>
    (d.coldStartMs.fresh / 1000).toFixed(2),
  );
  per('cold start, existing data (s)', (d) => (d.coldStartMs.restart / 1000).toFixed(2));
  per('RSS warm idle → idle before 300 streams → peak at 300', (d) =>
    d.rss.peakAt300Bytes === null
      ? mb(d.rss.idleBytes)
      : `${mb(d.rss.idleBytes)} → ${mb(d.rss.idleBefore300Bytes ?? d.rss.idleBytes)} → ${mb(d.rss.peakAt300Bytes)}`,
  );
  for (const d of all.databases) {
    if (!d.soak) continue;
    const s = d.soak;
    per(`soak (${d.database}): ${s.concurrency} streams × ${s.minutes} min`, (x) =>
      x === d
        ? `${s.replies} replies, ${s.stopped} stopped, ${s.errors} errors; chunk p50/p99 ${f1(s.chunkP50)}/${f1(s.chunkP99)} ms`
        : '',
    );
    per('  RSS before → peak → after; heap after GC before → after; open files', (x) =>
      x === d
        ? `${mb(s.rssBytes.before)} → ${mb(s.rssBytes.peak)} → ${mb(s.rssBytes.after)}; ${mb(s.heapUsedBytes.before)} → ${mb(s.heapUsedBytes.after)}; ${s.openFiles.before} → ${s.openFiles.after}`
        : '',
    );
    per('  books: streaming left, credits held, balance ≠ ledger, unbilled', (x) =>
      x === d
        ? 'error' in s.books
          ? s.books.error
          : `${s.books.streamingLeft}, ${s.books.heldCredits}, ${s.books.ledgerMismatches}, ${s.books.unbilledReplies} of ${s.books.finishedReplies}`
        : '',
    );
  }
  table(rows, print);

  const w = all.web;
  print(
    `\nWeb app: initial JS ${kb(w.initialJsGzipBytes)} gzip of a ${kb(w.budgetBytes)} budget ` +
      `(${((100 * w.initialJsGzipBytes) / w.budgetBytes).toFixed(0)} %), initial CSS ${kb(w.initialCssGzipBytes)}, lazy chunks ${kb(w.lazyGzipBytes)}`,
  );
  const docs = all.documents;
  if (docs) {
    const ing =
      'error' in docs.ingestion
        ? docs.ingestion.error
        : `${docs.ingestion.totalSeconds.toFixed(1)} s for ${docs.ingestion.pages} pages (${docs.ingestion.database})`;
    const q =
      'error' in docs.quality
        ? docs.quality.error
        : Object.entries(docs.quality.recallAt8)
            .map(([m, r]) => `${m} ${(100 * r).toFixed(0)} %`)
            .join(', ');
    const search = (s: typeof docs.search.pglite | null) => {
      if (!s) return 'not run';
      if ('error' in s) return s.error;
      const last = s.latency.at(-1);
      return last
        ? `p50 ${f1(last.p50Ms)} / p95 ${f1(last.p95Ms)} ms at ${last.chunks.toLocaleString('en-US')} chunks (${s.mode})`
        : 'no sizes ran';
    };
    print(`Documents: ingestion ${ing}; recall@8 ${q}`);
    print(`  search PGlite ${search(docs.search.pglite)}; PostgreSQL ${search(docs.search.postgres)}`);
    const m = docs.memory;
    print(
      'error' in m
        ? `Memory: ${m.error}`
        : `Memory: recall among ${m.memories.toLocaleString('en-US')} memories p50 ${f1(m.recall.p50Ms)} / p95 ${f1(m.recall.p95Ms)} ms`,
    );
  } else {
    print('Documents: not run (--relay).');
  }
}
