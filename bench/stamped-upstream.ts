/**
 * A minimal OpenAI-compatible streaming upstream for the benchmark: every chunk's text starts
 * with the monotonic clock reading (ns) at which it was written, so a reader in any process on
 * this machine can tell how long the chunk took to reach it.
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

export async function startStampedUpstream(
  opts: StampedUpstreamOptions,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url?.endsWith('/models')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":[]}');
      return;
    }
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.socket?.setNoDelay(true);
      res.write(': OPENROUTER PROCESSING\n\n');
      let i = 0;
      const chunk = (delta: object, extra: object = {}) =>
        `data: ${JSON.stringify({ id: 'b', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta, finish_reason: null }], ...extra })}\n\n`;
      const timer = setInterval(() => {
        if (res.destroyed) return clearInterval(timer);
        if (i < opts.chunks) {
          res.write(chunk({ content: `t${stamp()}|word${i} ` }));
          i++;
          return;
        }
        clearInterval(timer);
        res.write(
          `data: ${JSON.stringify({ id: 'b', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [], usage: { prompt_tokens: 20, completion_tokens: opts.chunks * 3, total_tokens: 20 + opts.chunks * 3, cost: 0.0001 } })}\n\n`,
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
