/**
 * One level measured several times (BENCH_REPEATS), folded into one row: the median of every
 * figure. On a 2-core machine shared with the database and the upstream, one run's latencies
 * swing by 2× with unchanged code; a median of three is what a 20 % change can be judged by.
 */
import type { ProbeWindow } from './app-probe';
import type { Figures } from './relay';
import type { LevelFigures } from './run';

export function median(values: number[]): number {
  const s = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const medianOf = <T>(items: T[], pick: (t: T) => number) => median(items.map(pick));

/** Latencies by median; errors are every repeat's together, since one error anywhere counts. */
function figures(runs: Figures[]): Figures {
  return {
    ttfbP50: medianOf(runs, (f) => f.ttfbP50),
    ttfbP99: medianOf(runs, (f) => f.ttfbP99),
    chunkP50: medianOf(runs, (f) => f.chunkP50),
    chunkP99: medianOf(runs, (f) => f.chunkP99),
    streams: medianOf(runs, (f) => f.streams),
    errors: runs.reduce((n, f) => n + f.errors, 0),
    errorSamples: [...new Set(runs.flatMap((f) => f.errorSamples))].slice(0, 3),
  };
}

function window(runs: ProbeWindow[]): ProbeWindow {
  return {
    name: runs[0]!.name,
    loopDelay: {
      p50: medianOf(runs, (w) => w.loopDelay.p50),
      p99: medianOf(runs, (w) => w.loopDelay.p99),
      max: Math.max(...runs.map((w) => w.loopDelay.max)),
    },
    loopUtilisation: medianOf(runs, (w) => w.loopUtilisation),
    cpuPerSecond: medianOf(runs, (w) => w.cpuPerSecond),
    peakRssBytes: Math.max(...runs.map((w) => w.peakRssBytes)),
    seconds: medianOf(runs, (w) => w.seconds),
    ...(runs[0]!.profile ? { profile: runs[0]!.profile } : {}),
  };
}

function byPath<T>(runs: Record<string, T>[], fold: (items: T[]) => T): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(runs[0] ?? {})) out[k] = fold(runs.map((r) => r[k]!));
  return out;
}

/** Per process name, the median over the runs (a name missing from a run held nothing there). */
function medianByName(runs: Record<string, number>[]): Record<string, number> {
  const names = new Set(runs.flatMap((r) => Object.keys(r)));
  return Object.fromEntries([...names].map((n) => [n, median(runs.map((r) => r[n] ?? 0))]));
}

export function medianLevel(runs: LevelFigures[]): LevelFigures {
  if (runs.length === 1) return runs[0]!;
  const first = runs[0]!;
  return {
    streams: first.streams,
    arrival: first.arrival,
    repeats: runs.length,
    direct: figures(runs.map((r) => r.direct)),
    proxy: figures(runs.map((r) => r.proxy)),
    app: byPath(
      runs.map((r) => r.app),
      figures,
    ),
    window: byPath(
      runs.map((r) => r.window),
      window,
    ),
    coresBusy: {
      direct: medianOf(runs, (r) => r.coresBusy.direct),
      proxy: medianOf(runs, (r) => r.coresBusy.proxy),
      app: byPath(
        runs.map((r) => r.coresBusy.app),
        median,
      ),
      byProcess: byPath(
        runs.map((r) => r.coresBusy.byProcess),
        medianByName,
      ),
    },
  };
}
