/**
 * `npm run bench`: what our relay adds to a streamed reply, measured in one run against a
 * loopback upstream. The app runs as `npm start` runs it (its own process, PGlite, Azurite); this
 * process is only the client, and the upstream runs in a third process so no two share a loop.
 *
 * Per chunk: each chunk carries the monotonic time it was written upstream; its latency is the
 * time it reached the client. Read directly from the upstream, that is the baseline; through the
 * app, the difference is what we add. Time to first byte is measured to the first text delta.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readStamp, stamp } from './stamped-upstream';
import { benchDocuments } from './documents';

const CHUNKS = Number(process.env.BENCH_CHUNKS ?? 40);
const INTERVAL_MS = Number(process.env.BENCH_INTERVAL_MS ?? 25);
const LEVELS = (process.env.BENCH_CONCURRENCY ?? '1,100').split(',').map(Number);
const MODEL = 'openai/gpt-4o-mini';

interface Sample {
  ttfbMs: number;
  chunkMs: number[];
}

const ms = (ns: bigint) => Number(ns) / 1e6;

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}

/**
 * The same minimal SSE reading for both paths (split on blank lines, JSON.parse the data line),
 * so the client's own cost is equal and cancels out of the difference.
 */
async function readSse(res: Response, onText: (text: string) => void, relayed: boolean): Promise<void> {
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
        choices?: { delta?: { content?: string } }[];
      };
      const text = relayed
        ? block.startsWith('event: delta')
          ? data.text
          : undefined
        : data.choices?.[0]?.delta?.content;
      if (text) onText(text);
    }
  }
}

async function measure(open: () => Promise<Response>, sse: boolean): Promise<Sample> {
  const t0 = stamp();
  const res = await open();
  if (!res.ok) throw new Error(`stream answered ${res.status}: ${await res.text()}`);
  const sample: Sample = { ttfbMs: Number.NaN, chunkMs: [] };
  await readSse(
    res,
    (text) => {
      const now = stamp();
      if (Number.isNaN(sample.ttfbMs)) sample.ttfbMs = ms(now - t0);
      const sent = readStamp(text);
      if (sent !== undefined) sample.chunkMs.push(ms(now - sent));
    },
    sse,
  );
  return sample;
}

async function waitFor(url: string, child: ChildProcess, log: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`app exited early:\n${fs.readFileSync(log, 'utf8')}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`app did not start:\n${fs.readFileSync(log, 'utf8')}`);
}

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '..', '..');
  const upstreamProc = fork(path.join(__dirname, 'stamped-upstream-main.js'), [], {
    env: { ...process.env, BENCH_CHUNKS: String(CHUNKS), BENCH_INTERVAL_MS: String(INTERVAL_MS) },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const upstreamUrl = await new Promise<string>((resolve) =>
    upstreamProc.once('message', (m) => resolve(m as string)),
  );

  const proxyProc = fork(path.join(__dirname, 'bare-proxy-main.js'), [], {
    env: { ...process.env, BENCH_UPSTREAM_URL: upstreamUrl },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const proxyUrl = await new Promise<string>((resolve) =>
    proxyProc.once('message', (m) => resolve(m as string)),
  );

  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'gm-bench-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const log = path.join(data, 'app.log');
  const app = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_APP_NODE_ARGS ?? '').split(' ').filter(Boolean),
      path.join(root, 'dist/dev/host/main.js'),
    ],
    {
      cwd: root,
      env: {
        ...process.env,
        PORT: String(port),
        DATA_DIR: data,
        OPENROUTER_BASE_URL: upstreamUrl,
        DATABASE_URL: process.env.BENCH_DATABASE_URL ?? '',
        // The benchmark measures the relay, not the limits: credit and room for every stream.
        SIGNUP_BONUS_CREDITS: '1000000000',
        MAX_CONCURRENT_STREAMS: '1000',
        API_KEY_MAX_CONCURRENT_STREAMS: '1000',
        API_KEY_REQUESTS_PER_MINUTE: '100000',
        // Every streamer signs up from 127.0.0.1.
        REGISTRATIONS_PER_CLIENT_PER_HOUR: '1000000',
      },
      stdio: ['ignore', fs.openSync(log, 'a'), fs.openSync(log, 'a')],
    },
  );
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitFor(`${base}/api/health`, app, log);
    /** A signed-in user with one conversation: concurrent streams belong to different people. */
    const streamer = async () => {
      const reg = await fetch(`${base}/api/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          email: `bench-${Math.random().toString(36).slice(2)}@example.com`,
          password: 'benchmark',
        }),
      });
      const cookie = reg.headers.getSetCookie()[0]!.split(';')[0]!;
      const { csrfToken } = (await reg.json()) as { csrfToken: string };
      const headers = { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken };
      const created = (await (
        await fetch(`${base}/api/conversations`, { method: 'POST', headers, body: '{}' })
      ).json()) as {
        conversation: { id: string };
      };
      const { secret } = (await (
        await fetch(`${base}/api/keys`, { method: 'POST', headers, body: JSON.stringify({ name: 'bench' }) })
      ).json()) as { secret: string };
      const chat = () =>
        fetch(`${base}/api/conversations/${created.conversation.id}/messages`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ content: 'hi', model: MODEL, maxTokens: 256 }),
        });
      // The same reply through the OpenAI-compatible API, with the user's own key.
      const api = () =>
        fetch(`${base}/api/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
          body: JSON.stringify({
            model: MODEL,
            stream: true,
            max_tokens: 256,
            messages: [{ role: 'user', content: 'hi' }],
          }),
        });
      return { chat, api };
    };
    const upstreamCall = (url: string) => () =>
      fetch(`${url}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: MODEL, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
      });
    const direct = upstreamCall(upstreamUrl);
    const proxied = upstreamCall(proxyUrl);

    // Warm every path (JIT, connections, first queries).
    const warm = await streamer();
    for (let i = 0; i < 3; i++) {
      await measure(direct, false);
      await measure(proxied, false);
      await measure(warm.chat, true);
      await measure(warm.api, false);
    }

    console.log(
      `\nRelay overhead: ${CHUNKS} chunks every ${INTERVAL_MS} ms per stream, loopback, ${os.cpus().length} cores, ` +
        `database ${process.env.BENCH_DATABASE_URL ? 'PostgreSQL' : 'PGlite (embedded)'}`,
    );
    console.log('streams | path     | TTFB p50 | TTFB p99 | chunk p50 | chunk p99   (ms)');
    const results: string[] = [];
    for (const n of LEVELS) {
      // One stream at a time is sampled repeatedly; n > 1 streams run all at once.
      const rounds = n === 1 ? 20 : 1;
      const users: Awaited<ReturnType<typeof streamer>>[] = [];
      for (let i = 0; i < n; i += 10)
        users.push(...(await Promise.all(Array.from({ length: Math.min(10, n - i) }, streamer))));
      const run = async (open: (i: number) => () => Promise<Response>, relayed: boolean) => {
        const out: Sample[] = [];
        for (let k = 0; k < rounds; k++)
          out.push(...(await Promise.all(Array.from({ length: n }, (_, i) => measure(open(i), relayed)))));
        return out;
      };
      const row = (name: string, s: Sample[]) => {
        const ttfb = s.map((x) => x.ttfbMs);
        const chunks = s.flatMap((x) => x.chunkMs);
        const v = [pct(ttfb, 50), pct(ttfb, 99), pct(chunks, 50), pct(chunks, 99)];
        console.log(
          `${String(n).padStart(7)} | ${name.padEnd(8)} | ${v.map((x) => x.toFixed(2).padStart(8)).join(' | ')}`,
        );
        return v;
      };
      const dv = row('direct', await run(() => direct, false));
      const pv = row('proxy', await run(() => proxied, false));
      const rv = row('app', await run((i) => users[i]!.chat, true));
      const av = row('api/v1', await run((i) => users[i]!.api, false));
      const added = rv.map((x, i) => x - dv[i]!);
      console.log(
        `${String(n).padStart(7)} | v1−dir   | ${av.map((x, i) => (x - dv[i]!).toFixed(2).padStart(8)).join(' | ')}`,
      );
      const overProxy = rv.map((x, i) => x - pv[i]!);
      console.log(
        `${String(n).padStart(7)} | app−dir  | ${added.map((x) => x.toFixed(2).padStart(8)).join(' | ')}`,
      );
      console.log(
        `${String(n).padStart(7)} | app−prox | ${overProxy.map((x) => x.toFixed(2).padStart(8)).join(' | ')}`,
      );
      const ok = added[0]! <= 15 && added[2]! <= 1 && added[3]! <= 5;
      results.push(
        `${n} stream${n > 1 ? 's' : ''}: added TTFB p50 ${added[0]!.toFixed(2)} ms (target ≤ 15), ` +
          `per chunk p50 ${added[2]!.toFixed(2)} ms (≤ 1), p99 ${added[3]!.toFixed(2)} ms (≤ 5) ${ok ? '✓' : '✗'}` +
          `; a bare Node pass-through proxy alone adds ${(pv[2]! - dv[2]!).toFixed(2)} / ${(pv[3]! - dv[3]!).toFixed(2)} ms per chunk`,
      );
    }
    console.log(`\n${results.join('\n')}\n`);
    await reportWebSize(root);

    // Documents (bench/documents.ts): ingestion through this app, search at scale, retrieval quality.
    const documents = await benchDocuments({ base, databaseUrl: process.env.BENCH_DATABASE_URL });
    if (process.argv.includes('--json')) console.log(JSON.stringify({ documents }));
  } finally {
    app.kill('SIGTERM');
    upstreamProc.kill('SIGTERM');
    proxyProc.kill('SIGTERM');
    if (app.exitCode === null) await new Promise((r) => app.once('exit', r));
    if (process.env.BENCH_KEEP_LOG) fs.copyFileSync(log, '/tmp/bench-app.log');
    fs.rmSync(data, { recursive: true, force: true });
  }
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

/** The SPA's initial JS for the chat screen, as the build measures it (npm run bench builds it first). */
async function reportWebSize(root: string): Promise<void> {
  const size = (await import(pathToFileURL(path.join(root, 'web/scripts/size.mjs')).href)) as WebSizeModule;
  const m = size.measureInitialJs(path.join(root, 'web/dist'));
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  console.log(
    `Web app: initial JS ${kb(m.gzipBytes)} gzip (budget ${kb(size.INITIAL_JS_BUDGET_BYTES)}, ` +
      `ratio ${(m.gzipBytes / size.INITIAL_JS_BUDGET_BYTES).toFixed(2)}), initial CSS ${kb(m.css.gzipBytes)}, ` +
      `lazy chunks ${kb(m.lazy.gzipBytes)}`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
