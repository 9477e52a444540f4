/**
 * The documents part of `npm run bench` (issue 8): ingestion of a 100-page PDF end to end,
 * hybrid search latency at up to 100k chunks of one user, and retrieval quality on a labelled
 * set. Each part prints its lines as it finishes; the figures come back for `--json`.
 */
import os from 'node:os';
import { benchIngestion, ingestionLines, type IngestionFigures } from './ingest';
import { benchMemory, memoryLines, type MemoryFigures } from './memory';
import { benchQuality, qualityLines, type QualityFigures } from './quality';
import { benchSearchPglite, benchSearchPostgres, searchLines, type SearchFigures } from './search';

export interface DocumentsFigures {
  /** One-minute load average and cores when the documents part started. */
  machine: { loadAverage: number; cores: number };
  ingestion: IngestionFigures | { error: string };
  quality: QualityFigures | { error: string };
  search: { pglite: SearchFigures | { error: string }; postgres: SearchFigures | { error: string } | null };
  /** Issue 9's recall and extraction figures (bench/memory.ts), in process. */
  memory: MemoryFigures | { error: string };
}

/**
 * `base`: the running app (ingestion goes through it), on `database`. `databaseUrl`: also
 * measure search on that PostgreSQL. A part that fails says so and the others still run.
 */
export async function benchDocuments(opts: {
  base: string;
  database: 'PGlite' | 'PostgreSQL';
  databaseUrl?: string;
  print?: (line: string) => void;
}): Promise<DocumentsFigures> {
  const print = opts.print ?? ((line: string) => console.log(line));
  const part = async <T>(name: string, run: () => Promise<T>, lines: (f: T) => string[]) => {
    const t = Date.now();
    try {
      const f = await run();
      for (const l of lines(f)) print(l);
      print(`  (${name}: ${((Date.now() - t) / 1000).toFixed(0)} s)`);
      return f;
    } catch (err) {
      print(`${name} FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      return { error: String(err) };
    }
  };
  const load = os.loadavg()[0]!;
  print('');
  print(
    `Documents (issue 8). Load average ${load.toFixed(1)} on ${os.cpus().length} cores as this part starts` +
      (load > os.cpus().length
        ? ': other work shares this machine, so the times below are likely higher than on an idle one.'
        : '.'),
  );
  const ingestion = await part('ingestion', () => benchIngestion(opts.base, opts.database), ingestionLines);
  print('');
  const quality = await part('quality', benchQuality, qualityLines);
  print('');
  print('Search latency, while loading (the summary follows):');
  const pglite = await part('search on PGlite', () => benchSearchPglite(print), searchLines);
  let postgres: DocumentsFigures['search']['postgres'] = null;
  if (opts.databaseUrl) {
    const url = opts.databaseUrl;
    print('');
    postgres = await part('search on PostgreSQL', () => benchSearchPostgres(url, print), searchLines);
  } else {
    print('  (PostgreSQL: set BENCH_DATABASE_URL=postgres://… to measure it too)');
  }
  print('');
  const memory = await part('memory', benchMemory, memoryLines);
  return {
    machine: { loadAverage: load, cores: os.cpus().length },
    ingestion,
    quality,
    search: { pglite, postgres },
    memory,
  };
}
