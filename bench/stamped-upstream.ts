/**
 * A minimal OpenAI-compatible streaming upstream for the benchmark: every chunk's text starts
 * with the monotonic clock reading (ns) at which it was written, so a reader in any process on
 * this machine can tell how long the chunk took to reach it. A request whose text contains
 * `#chunks=N` gets N chunks instead of the default (the soak's replies are longer).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StampedUpstreamOptions {
  chunks: number;
  intervalMs: number;
}

export const stamp = () => process.hrtime.bigint();

export function readStamp(text: string): bigint | undefined {
  const m = /^t(\d+)\|/.exec(text);
  return m ? BigInt(m[1]!) : undefined;
}

/**
 * The app's own calls after a reply (a title, memory extraction) are not streamed: they get a
 * whole answer at once, as from a provider, so they succeed once instead of failing and being
 * retried five times each, which loaded the app with work no real deployment does.
 */
function answerWhole(res: http.ServerResponse, structured: boolean): void {
  const content = structured ? '{"memories":[]}' : 'Benchmark chat';
  res.writeHead(200, { 'content-type': 'application/json' }).end(
    JSON.stringify({
      id: 'b',
      object: 'chat.completion',
      created: 0,
      model: 'm',
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 20, completion_tokens: 4, total_tokens: 24, cost: 0.00001 },
    }),
  );
}

export async function startStampedUpstream(
  opts: StampedUpstreamOptions,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url?.endsWith('/models')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":[]}');
      return;
    }
    const body: Buffer[] = [];
    req.on('data', (c: Buffer) => body.push(c));
    req.on('end', () => {
      const text = Buffer.concat(body).toString('utf8');
      let request: { stream?: boolean; response_format?: unknown } = {};
      try {
        request = JSON.parse(text) as typeof request;
      } catch {
        // Not JSON: streamed like any other request.
      }
      if (request.stream !== true) return answerWhole(res, request.response_format !== undefined);
      const chunks = Number(/#chunks=(\d+)/.exec(text)?.[1] ?? opts.chunks);
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.socket?.setNoDelay(true);
      res.write(': OPENROUTER PROCESSING\n\n');
      let i = 0;
      const chunk = (delta: object, extra: object = {}) =>
        `data: ${JSON.stringify({ id: 'b', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta, finish_reason: null }], ...extra })}\n\n`;
      const timer = setInterval(() => {
        if (res.destroyed) return clearInterval(timer);
        if (i < chunks) {
          res.write(chunk({ content: `t${stamp()}|word${i} ` }));
          i++;
          return;
        }
        clearInterval(timer);
        res.write(
          `data: ${JSON.stringify({ id: 'b', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [], usage: { prompt_tokens: 20, completion_tokens: chunks * 3, total_tokens: 20 + chunks * 3, cost: 0.0001 } })}\n\n`,
        );
        res.end('data: [DONE]\n\n');
      }, opts.intervalMs);
      res.on('close', () => clearInterval(timer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
