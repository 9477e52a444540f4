/**
 * Runs the local host in-process against a real (in-memory) Azurite and the fixture app.
 * The fixture is only ever imported via loadEntry, after startHost installed the core shim.
 */
import { app } from '@azure/functions';
import { QueueServiceClient } from '@azure/storage-queue';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type AzuriteHandle } from './azurite';
import { startHost, type LocalHost } from './host';
import { clientAddress } from './http-server';
import { WEB_SECURITY_HEADERS } from './static';
import type { QueueEvent } from './queue-triggers';

type Fixture = typeof import('./fixtures/app.js');

let azurite: AzuriteHandle;
let host: LocalHost;
let fixture: Fixture;
let webDist: string;
let secretFile: string;
const logs: string[] = [];

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

beforeAll(async () => {
  azurite = await startAzurite({ inMemory: true });
  process.env.AzureWebJobsStorage = azurite.connectionString;

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gm-host-'));
  webDist = path.join(tmp, 'dist');
  fs.mkdirSync(path.join(webDist, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(webDist, 'index.html'), '<!doctype html><title>app shell</title>');
  fs.writeFileSync(path.join(webDist, 'assets', 'app-3f2a.js'), 'console.log("hi")');
  secretFile = path.join(tmp, 'secret.txt');
  fs.writeFileSync(secretFile, 'TOP SECRET');

  host = await startHost({
    loadEntry: async () => {
      fixture = await import('./fixtures/app.js');
    },
    port: 0,
    hostJsonPath: path.resolve(__dirname, '../../host.json'),
    webDist,
    queueOverrides: { visibilityTimeoutMs: 0, maxPollingIntervalMs: 200 },
    // Short request timeouts, so a slow client is cut within the test (defaults: 20 s and 60 s).
    httpOverrides: { maxRequestBodyBytes: 1024, headersTimeoutMs: 600, requestTimeoutMs: 1000 },
    log: (line) => logs.push(line),
  });
});

afterAll(async () => {
  await host?.close();
  await azurite?.stop();
  if (process.env.DUMP_HOST_LOGS) console.log(logs.join('\n'));
});

/** Raw request so paths like `/..%2f` reach the server unnormalised (fetch would clean them up). */
function rawGet(
  rawPath: string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${host.url}${rawPath}`, { method: 'GET', path: rawPath }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function waitFor(event: 'processed' | 'failed' | 'poisoned', functionName: string): Promise<QueueEvent> {
  return new Promise((resolve) => {
    const listener = (e: QueueEvent): void => {
      if (e.functionName !== functionName) return;
      host.queues.off(event, listener);
      resolve(e);
    };
    host.queues.on(event, listener);
  });
}

describe('discovery and lifecycle', () => {
  it('discovers every registration with its trigger', () => {
    const byName = Object.fromEntries(host.functions.map((f) => [f.name, f]));
    expect(byName.getConversation?.description).toBe('GET /api/conversations/{id}');
    expect(byName.alwaysFails?.triggerType).toBe('queueTrigger');
    expect(byName.startupTimer?.description).toContain('runOnStartup');
    expect(host.functions.every((f) => f.problem === undefined)).toBe(true);
  });

  it('ran appStart hooks before serving', () => {
    expect(fixture.calls.appStart).toBe(1);
  });

  it('fires runOnStartup timers with a Timer object', async () => {
    await expect.poll(() => fixture.calls.timers.length).toBeGreaterThanOrEqual(1);
    const timer = fixture.calls.timers[0]!;
    expect(timer.isPastDue).toBe(false);
    expect(new Date(timer.scheduleStatus.next).getUTCMonth()).toBe(0);
  });
});

describe('http triggers', () => {
  it('routes with params and query, literals winning over parameters', async () => {
    const res = await fetch(`${host.url}/api/conversations/42?q=hello`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: '42', q: 'hello' });

    const literal = await fetch(`${host.url}/api/Conversations/new`);
    expect(await literal.text()).toBe('literal wins');
  });

  it('passes the request body through and honours methods', async () => {
    const res = await fetch(`${host.url}/api/conversations/7/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'hi' }),
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ id: '7', received: { text: 'hi' } });

    const wrongMethod = await fetch(`${host.url}/api/conversations/7`, { method: 'DELETE' });
    expect(wrongMethod.status).toBe(404);
    expect(((await wrongMethod.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it('supports constraints, optional and catch-all parameters, and the default route', async () => {
    expect(await (await fetch(`${host.url}/api/items/12`)).json()).toEqual({ n: '12', label: null });
    expect(await (await fetch(`${host.url}/api/items/12/red`)).json()).toEqual({ n: '12', label: 'red' });
    expect((await fetch(`${host.url}/api/items/abc`)).status).toBe(404);
    expect(await (await fetch(`${host.url}/api/files/a/b/c%20d.txt`)).json()).toEqual({
      path: 'a/b/c d.txt',
    });
    expect(await (await fetch(`${host.url}/api/defaultRoute`)).text()).toBe('default route');
  });

  it('answers unknown API paths with a JSON 404', async () => {
    const res = await fetch(`${host.url}/api/does/not/exist`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await res.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('turns a throwing handler into a JSON 500 carrying the invocation id', async () => {
    const res = await fetch(`${host.url}/api/boom`);
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: { code: string; invocationId: string } };
    expect(body.error.code).toBe('internal_error');
    expect(logs.some((l) => l.includes(body.error.invocationId) && l.includes('kaboom'))).toBe(true);
  });

  it('runs pre/post invocation hooks around handlers', async () => {
    await fetch(`${host.url}/api/defaultRoute`);
    expect(fixture.calls.hookOrder).toContain('pre:defaultRoute');
    expect(fixture.calls.hookOrder).toContain('post:defaultRoute');
  });

  it('serialises cookies into Set-Cookie headers', async () => {
    const res = await fetch(`${host.url}/api/cookie`);
    expect(res.headers.get('x-extra')).toBe('yes');
    expect(res.headers.getSetCookie()).toEqual([
      'session=abc%20123; Path=/; Max-Age=3600; Secure; HttpOnly; SameSite=Lax',
    ]);
  });

  it('streams response chunks as they are produced', async () => {
    const res = await fetch(`${host.url}/api/stream`);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    // The generator is parked until we release it, so this read only completes if the host
    // forwarded the first chunk without waiting for the rest of the body.
    const first = await reader.read();
    expect(decoder.decode(first.value)).toBe('data: first\n\n');
    fixture.streamGate.release();
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read())
      rest += decoder.decode(r.value, { stream: true });
    expect(rest).toBe('data: 2\n\ndata: 3\n\n');
  });

  it('cancels the response producer when the client disconnects', async () => {
    const abort = new AbortController();
    const res = await fetch(`${host.url}/api/endless`, { signal: abort.signal });
    const reader = res.body!.getReader();
    await reader.read();
    abort.abort();
    await expect.poll(() => fixture.calls.endlessStreamClosed).toBe(true);
  });

  it('accepts HttpResponse instances with Node Readable bodies', async () => {
    const res = await fetch(`${host.url}/api/readable`);
    expect(res.status).toBe(202);
    expect(await res.text()).toBe('node readable');
  });

  it('rejects bodies over the host limit with 413, declared or streamed', async () => {
    const ok = await fetch(`${host.url}/api/echo`, { method: 'POST', body: 'small' });
    expect(await ok.text()).toBe('small');

    const declared = await fetch(`${host.url}/api/echo`, { method: 'POST', body: 'x'.repeat(2000) });
    expect(declared.status).toBe(413);

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

describe('streaming on (app.setup({ enableHttpStream: true }))', () => {
  it('is what the programming model reports, and app.setup is locked once the host runs', () => {
    expect(host.httpStream).toBe(true);
    expect(host.capabilities.HttpUri).toBeTruthy();
    expect(() => app.setup({ enableHttpStream: false })).toThrow(/after app startup/);
  });

  it('invokes the function before the request body has finished arriving', async () => {
    fixture.calls.bodyProbeInvoked = false;
    const req = http.request(`${host.url}/api/body-probe`, { method: 'POST' });
    const answer = new Promise<string>((resolve, reject) => {
      req.on('response', (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
    });
    req.write('first half, ');
    await expect.poll(() => fixture.calls.bodyProbeInvoked).toBe(true);
    req.end('second half');
    expect(await answer).toBe('first half, second half');
  });
});

describe('client address', () => {
  it('appends the socket address to X-Forwarded-For, as the Azure front end does', async () => {
    const plain = await fetch(`${host.url}/api/whoami`);
    expect(await plain.json()).toEqual({ forwardedFor: '127.0.0.1' });

    const forged = await fetch(`${host.url}/api/whoami`, { headers: { 'X-Forwarded-For': '203.0.113.9' } });
    expect(await forged.json()).toEqual({ forwardedFor: '203.0.113.9, 127.0.0.1' });
  });

  it('strips the IPv4-mapped prefix and keeps IPv6 addresses as they are', () => {
    expect(clientAddress('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(clientAddress('::1')).toBe('::1');
    expect(clientAddress('2001:db8::7')).toBe('2001:db8::7');
    expect(clientAddress(undefined)).toBeUndefined();
  });
});

/** A raw connection: writes `head`, then one byte of `trickle` every `everyMs`; resolves on close. */
function slowClient(
  head: string,
  trickle: string,
  everyMs: number,
): Promise<{ received: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = net.connect(host.port, '127.0.0.1', () => socket.write(head));
    let received = '';
    let i = 0;
    const timer = setInterval(() => {
      if (i < trickle.length && !socket.destroyed) socket.write(trickle[i++]!);
    }, everyMs);
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => (received += c));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ received, ms: performance.now() - started });
    });
    setTimeout(() => reject(new Error(`connection still open; received: ${received}`)), 5000);
  });
}

describe('request timeouts', () => {
  it('answers 408 and closes the connection when a body trickles in too slowly', async () => {
    const body = 'x'.repeat(100);
    const { received, ms } = await slowClient(
      `POST /api/echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${body.length}\r\n\r\n`,
      body,
      100,
    );
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
    expect(ms).toBeGreaterThanOrEqual(900);
  });

  it('does the same for headers that never finish', async () => {
    const { received } = await slowClient(
      'GET /api/whoami HTTP/1.1\r\nHost: localhost\r\n',
      'X-Slow: ' + 'y'.repeat(60),
      50,
    );
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('lets a response stream for longer than the request timeout', async () => {
    for (const read of ['1', '0']) {
      // After a POST body the handler read (the chat) or ignored.
      const res = await fetch(`${host.url}/api/slow-stream?ms=1800&read=${read}`, {
        method: 'POST',
        body: JSON.stringify({ hello: 'world' }),
      });
      const text = await res.text();
      expect(text, `read=${read}`).toContain('data: end');
    }
  });
});

describe('static web app', () => {
  it('serves files with cache headers and falls back to index.html for client routes', async () => {
    const index = await fetch(`${host.url}/`);
    expect(await index.text()).toContain('app shell');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(index.headers.get('content-type')).toContain('text/html');

    const asset = await fetch(`${host.url}/assets/app-3f2a.js`);
    expect(asset.headers.get('content-type')).toContain('text/javascript');
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');

    const clientRoute = await fetch(`${host.url}/c/123`);
    expect(clientRoute.status).toBe(200);
    expect(await clientRoute.text()).toContain('app shell');

    expect((await fetch(`${host.url}/missing.png`)).status).toBe(404);
  });

  it('sends the security headers with every web app response, the API keeps its own', async () => {
    const csp = WEB_SECURITY_HEADERS['content-security-policy']!;
    for (const p of [
      '/',
      '/index.html',
      '/assets/app-3f2a.js',
      '/c/123',
      '/assets/not-a-file',
      '/missing.png',
    ]) {
      const res = await fetch(`${host.url}${p}`, { method: p === '/' ? 'HEAD' : 'GET' });
      for (const [name, value] of Object.entries(WEB_SECURITY_HEADERS))
        expect(res.headers.get(name), `${name} on ${p}`).toBe(value);
      // A client route under /assets/ gets the app shell, which must not be cached as immutable.
      if (p === '/assets/not-a-file') expect(res.headers.get('cache-control')).toBe('no-cache');
    }
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    const post = await fetch(`${host.url}/`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('x-frame-options')).toBe('DENY');

    const api = await fetch(`${host.url}/api/whoami`);
    expect(api.headers.get('content-security-policy')).toBeNull();
  });

  it('never serves files outside webDist', async () => {
    const name = path.basename(secretFile);
    for (const p of [
      `/../${name}`,
      `/..%2f${name}`,
      `/%2e%2e/${name}`,
      `/assets/..%2f..%2f${name}`,
      `/..%5c${name}`,
    ]) {
      const res = await rawGet(p);
      expect(res.body, p).not.toContain('TOP SECRET');
    }
  });
});

describe('queue triggers', () => {
  it('deletes processed messages and writes queue output bindings', async () => {
    const service = QueueServiceClient.fromConnectionString(azurite.connectionString);
    const processed = waitFor('processed', 'succeeds');
    await service.getQueueClient('fixture-ok').sendMessage(b64(JSON.stringify({ hello: 'world' })));
    await processed;

    expect(fixture.calls.succeeded).toEqual([{ hello: 'world' }]);
    const props = await service.getQueueClient('fixture-ok').getProperties();
    expect(props.approximateMessagesCount).toBe(0);
    const out = await service.getQueueClient('fixture-out').receiveMessages();
    const text = Buffer.from(out.receivedMessageItems[0]!.messageText, 'base64').toString('utf8');
    expect(JSON.parse(text)).toEqual({ echo: { hello: 'world' } });
  });

  it('moves a message that always fails to -poison after maxDequeueCount (5) attempts', async () => {
    const service = QueueServiceClient.fromConnectionString(azurite.connectionString);
    const poisoned = waitFor('poisoned', 'alwaysFails');
    const sent = b64(JSON.stringify({ doomed: true }));
    await service.getQueueClient('fixture-fail').sendMessage(sent);
    await poisoned;
    await host.queues.waitIdle(10_000);

    expect(fixture.calls.failingDequeueCounts).toEqual([1, 2, 3, 4, 5]);
    const poison = await service.getQueueClient('fixture-fail-poison').peekMessages({ numberOfMessages: 32 });
    expect(poison.peekedMessageItems.map((m) => m.messageText)).toEqual([sent]);
    expect((await service.getQueueClient('fixture-fail').getProperties()).approximateMessagesCount).toBe(0);
  });
});

describe('shutdown', () => {
  it('runs appTerminate hooks on close and is idempotent', async () => {
    await host.close();
    await host.close();
    expect(fixture.calls.appTerminate).toBe(1);
  });
});
