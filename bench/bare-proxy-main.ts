/**
 * The floor for any relay on this machine: a Node process that forwards the upstream's bytes
 * and does nothing else (no auth, no database, no parsing). The benchmark runs it beside the
 * app so "what a hop costs here" and "what our work costs" can be told apart.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const upstream = process.env.BENCH_UPSTREAM_URL ?? '';

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    void (async () => {
      const up = await fetch(`${upstream}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: Buffer.concat(chunks),
      });
      res.writeHead(up.status, { 'content-type': 'text/event-stream' });
      for await (const chunk of up.body as unknown as AsyncIterable<Uint8Array>) res.write(chunk);
      res.end();
    })().catch(() => res.destroy());
  });
});
server.listen(0, '127.0.0.1', () =>
  process.send?.(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
);
