/**
 * Measuring a streamed reply from the client's side: time to the first text delta, and for every
 * chunk the time from the upstream writing it (the stamp in its text) to this process reading it.
 * The same reading serves every path, so the client's own cost cancels out of the differences.
 */
import { readStamp, stamp } from './stamped-upstream';

export interface Sample {
  ttfbMs: number;
  chunkMs: number[];
  /** Set when the stream was refused or ended with an `error` event. */
  error?: string;
}

/** A way to open one stream; the relayed paths read our SSE events, the others OpenAI's chunks. */
export interface StreamPath {
  name: string;
  relayed: boolean;
  open(): Promise<Response>;
}

const ms = (ns: bigint) => Number(ns) / 1e6;

export function pct(values: number[], p: number): number {
  const s = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}

/**
 * The same minimal SSE reading for both kinds of path (split on blank lines, JSON.parse the data
 * line). Our events are named (`event: delta`); OpenAI's chunks carry `choices[0].delta.content`.
 */
export async function readSse(
  res: Response,
  relayed: boolean,
  on: { text(text: string): void; error?(code: string): void },
): Promise<void> {
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true });
    let i: number;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const at = block.indexOf('data: {');
      if (at < 0) continue;
      const data = JSON.parse(block.slice(at + 6)) as {
        text?: string;
        code?: string;
        choices?: { delta?: { content?: string } }[];
      };
      if (relayed && block.startsWith('event: error')) on.error?.(data.code ?? 'error');
      const text = relayed
        ? block.startsWith('event: delta')
          ? data.text
          : undefined
        : data.choices?.[0]?.delta?.content;
      if (text) on.text(text);
    }
  }
}

export async function measure(path: StreamPath): Promise<Sample> {
  const t0 = stamp();
  const sample: Sample = { ttfbMs: Number.NaN, chunkMs: [] };
  try {
    const res = await path.open();
    if (!res.ok) {
      sample.error = `HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`;
      return sample;
    }
    await readSse(res, path.relayed, {
      text(text) {
        const now = stamp();
        if (Number.isNaN(sample.ttfbMs)) sample.ttfbMs = ms(now - t0);
        const sent = readStamp(text);
        if (sent !== undefined) sample.chunkMs.push(ms(now - sent));
      },
      error(code) {
        sample.error = `error event: ${code}`;
      },
    });
  } catch (err) {
    sample.error = String(err);
  }
  return sample;
}

/** How the streams of one measurement arrive: all at once, or spread evenly over `rampMs`. */
export type Arrival = { kind: 'burst' } | { kind: 'ramp'; rampMs: number };

export async function arrive(paths: StreamPath[], arrival: Arrival, rounds: number): Promise<Sample[]> {
  const out: Sample[] = [];
  for (let r = 0; r < rounds; r++) {
    out.push(
      ...(await Promise.all(
        paths.map(async (p, i) => {
          if (arrival.kind === 'ramp')
            await new Promise((resolve) => setTimeout(resolve, (i * arrival.rampMs) / paths.length));
          return measure(p);
        }),
      )),
    );
  }
  return out;
}

/** One stream after another, `rounds` times: the latency of a lone stream. */
export async function oneByOne(path: StreamPath, rounds: number): Promise<Sample[]> {
  const out: Sample[] = [];
  for (let i = 0; i < rounds; i++) out.push(await measure(path));
  return out;
}

export interface Figures {
  ttfbP50: number;
  ttfbP99: number;
  chunkP50: number;
  chunkP99: number;
  streams: number;
  errors: number;
  /** The first few distinct errors, to say what went wrong. */
  errorSamples: string[];
}

export function figures(samples: Sample[]): Figures {
  const ok = samples.filter((s) => !s.error);
  const chunks = ok.flatMap((s) => s.chunkMs);
  return {
    ttfbP50: pct(
      ok.map((s) => s.ttfbMs),
      50,
    ),
    ttfbP99: pct(
      ok.map((s) => s.ttfbMs),
      99,
    ),
    chunkP50: pct(chunks, 50),
    chunkP99: pct(chunks, 99),
    streams: samples.length,
    errors: samples.length - ok.length,
    errorSamples: [...new Set(samples.flatMap((s) => (s.error ? [s.error] : [])))].slice(0, 3),
  };
}
