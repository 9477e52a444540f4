/**
 * An app that never calls `app.setup({ enableHttpStream: true })`: as in Azure, the host reads the
 * whole request before invoking and sends the response only once its body has ended.
 * (host.test.ts covers the streaming side with an app that turns streaming on.)
 */
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHost, type LocalHost } from './host';

type Fixture = typeof import('./fixtures/plain-app.js');

let fixture: Fixture;
let host: LocalHost;

beforeAll(async () => {
  host = await startHost({
    loadEntry: async () => {
      fixture = await import('./fixtures/plain-app.js');
    },
    port: 0,
    hostJsonPath: path.resolve(__dirname, '../../host.json'),
    httpOverrides: { maxRequestBodyBytes: 1024 },
    log: () => undefined,
  });
});

afterAll(async () => {
  await host?.close();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('streaming off (the default)', () => {
  it('is what the programming model reports', () => {
    expect(host.httpStream).toBe(false);
    expect(host.capabilities.HttpUri).toBeUndefined();
  });

  it('sends nothing until the body has ended, then all of it with a Content-Length', async () => {
    let firstByteAt: number | undefined;
    const done = new Promise<{ headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
      const req = http.get(`${host.url}/api/gated`, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          firstByteAt ??= performance.now();
          body += c;
        });
        res.on('end', () => resolve({ headers: res.headers, body }));
      });
      req.on('response', () => (firstByteAt ??= performance.now()));
      req.on('error', reject);
    });
    // The handler has produced its first chunk and is parked before the second.
    await fixture.gated.firstProduced.opened;
    await sleep(150);
    expect(firstByteAt).toBeUndefined();
    const releasedAt = performance.now();
    fixture.gated.second.release();
    const { headers, body } = await done;
    expect(firstByteAt).toBeGreaterThanOrEqual(releasedAt);
    expect(body).toBe('first;second');
    expect(headers['content-length']).toBe(String('first;second'.length));
    expect(headers['transfer-encoding']).toBeUndefined();
  });

  it('reads the whole request body before invoking the function', async () => {
    const before = fixture.calls.echoInvocations;
    let invokedBeforeEnd: number | undefined;
    const answer = new Promise<string>((resolve, reject) => {
      const req = http.request(`${host.url}/api/echo`, { method: 'POST' }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
      req.write('part one, ');
      // Chunked upload, paused halfway: a streaming host would have invoked the function by now.
      setTimeout(() => {
        invokedBeforeEnd = fixture.calls.echoInvocations - before;
        req.end('part two');
      }, 200);
    });
    expect(await answer).toBe('part one, part two');
    expect(invokedBeforeEnd).toBe(0);
    expect(fixture.calls.echoInvocations).toBe(before + 1);
  });

  it('still answers 413 for a body over the limit, declared or not', async () => {
    expect((await fetch(`${host.url}/api/echo`, { method: 'POST', body: 'x'.repeat(2000) })).status).toBe(
      413,
    );
    const chunks = [new Uint8Array(800).fill(120), new Uint8Array(800).fill(121)];
    const streamed = await fetch(`${host.url}/api/echo`, {
      method: 'POST',
      body: new ReadableStream({
        pull(controller) {
          const next = chunks.shift();
          if (next) controller.enqueue(next);
          else controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
  });
});
