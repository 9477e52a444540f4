/**
 * The HTTP front end: routes `/<routePrefix>/*` to httpTrigger registrations and serves the web
 * build for everything else. Bodies move like Azure moves them: with `app.setup({ enableHttpStream:
 * true })` request and response stream chunk by chunk; without it both are buffered whole (the
 * client sees nothing until the handler's body has ended, and gets a Content-Length).
 */
import { HttpRequest, HttpResponse, type Cookie, type HttpRequestInit } from '@azure/functions';
import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { ReadableStreamDefaultReader } from 'node:stream/web';
import type { Registration } from './core-shim';
import type { HostSettings } from './host-config';
import { describeError, errorDetail, InvocationError, type Invoker, type LogFn } from './invoke';
import { Router } from './routes';
import { serveStatic } from './static';
import type { HostContext, TriggerAdapter } from './triggers';

/** Collects httpTrigger registrations into the route table the server dispatches on. */
export class HttpTriggerAdapter implements TriggerAdapter {
  readonly router = new Router<Registration>();
  #prefix = 'api';

  start(registration: Registration, host: HostContext): void {
    this.#prefix = host.settings.http.routePrefix;
    const route =
      typeof registration.trigger.route === 'string' ? registration.trigger.route : registration.name;
    const methods = Array.isArray(registration.trigger.methods)
      ? (registration.trigger.methods as string[])
      : undefined;
    const compiled = this.router.add(route, registration, methods);
    if (compiled.unknownConstraints.length > 0) {
      host.log(
        `[host] ${registration.name}: route constraints ${compiled.unknownConstraints.join(', ')} are not enforced locally`,
      );
    }
  }

  async stop(): Promise<void> {}

  describe(registration: Registration): string {
    const route =
      typeof registration.trigger.route === 'string' ? registration.trigger.route : registration.name;
    const methods = Array.isArray(registration.trigger.methods)
      ? (registration.trigger.methods as string[]).join(',')
      : 'ANY';
    return `${methods} /${[this.#prefix, route].filter(Boolean).join('/')}`;
  }
}

export interface HttpServerOptions {
  router: Router<Registration>;
  settings: HostSettings;
  invoker: Invoker;
  log: LogFn;
  /** Directory of the built SPA; absent → non-API paths get 404. */
  webDist?: string;
  /** The app's `enableHttpStream`: stream bodies (true) or buffer them whole (false, Azure's default). */
  httpStream: boolean;
  /**
   * Answers `/runtime/webhooks/...` (the host's extension endpoints, e.g. the Durable Functions
   * API); resolves false when nothing handles that path (then 404).
   */
  webhooks?: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;
}

class PayloadTooLargeError extends Error {
  constructor(limit: number) {
    super(`Request body exceeds the ${limit} byte limit`);
  }
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  extraHeaders: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...extraHeaders,
  });
  res.end(text);
}

function errorBody(code: string, message: string, extra: Record<string, unknown> = {}): unknown {
  return { error: { code, message, ...extra } };
}

/**
 * A pull-based body: nothing is read from the socket until the handler asks for it, so handlers
 * that ignore the body cost nothing and backpressure reaches the client.
 */
function requestBody(
  req: IncomingMessage,
  limit: number,
  onTooLarge: () => void,
  onFirstRead: () => void,
): ReadableStream<Uint8Array> {
  let iterator: AsyncIterator<Buffer, undefined> | undefined;
  let total = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (!iterator) {
          onFirstRead();
          iterator = req[Symbol.asyncIterator]() as AsyncIterator<Buffer, undefined>;
        }
        const next = await iterator.next();
        if (next.done) {
          controller.close();
          return;
        }
        const value = next.value;
        total += value.byteLength;
        if (total > limit) {
          onTooLarge();
          controller.error(new PayloadTooLargeError(limit));
          return;
        }
        controller.enqueue(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
      },
    },
    { highWaterMark: 0 },
  );
}

/** Reads the whole body, as the Functions host does before a non-streaming invocation. */
async function readWholeBody(req: IncomingMessage, limit: number): Promise<Uint8Array<ArrayBuffer>> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.byteLength;
    if (total > limit) throw new PayloadTooLargeError(limit);
    chunks.push(chunk);
  }
  const whole = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    whole.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return whole;
}

/** The peer's address as the platform reports it: no IPv4-mapped `::ffff:` prefix, no port. */
export function clientAddress(remoteAddress: string | undefined): string | undefined {
  if (!remoteAddress) return undefined;
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(remoteAddress) ? remoteAddress.slice(7) : remoteAddress;
}

/**
 * The request's headers, plus the socket's address appended to `X-Forwarded-For` as Azure App
 * Service's front end does: the last entry is the one no client can forge.
 */
function toHeaders(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    try {
      headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
    } catch {
      // Node accepted a header the fetch Headers class rejects; the handler just won't see it.
    }
  }
  const addr = clientAddress(req.socket.remoteAddress);
  if (addr) {
    const existing = headers.get('x-forwarded-for')?.trim();
    headers.set('x-forwarded-for', existing ? `${existing}, ${addr}` : addr);
  }
  return headers;
}

export function serializeCookie(c: Cookie): string {
  const parts = [`${c.name}=${encodeURIComponent(c.value)}`];
  if (c.domain) parts.push(`Domain=${c.domain}`);
  if (c.path) parts.push(`Path=${c.path}`);
  if (c.expires !== undefined) {
    const expires = typeof c.expires === 'number' ? new Date(c.expires) : c.expires;
    parts.push(`Expires=${expires.toUTCString()}`);
  }
  if (c.maxAge !== undefined) parts.push(`Max-Age=${Math.trunc(c.maxAge)}`);
  if (c.secure) parts.push('Secure');
  if (c.httpOnly) parts.push('HttpOnly');
  if (c.sameSite) parts.push(`SameSite=${c.sameSite}`);
  return parts.join('; ');
}

function once(res: ServerResponse, events: string[]): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      for (const e of events) res.off(e, done);
      resolve();
    };
    for (const e of events) res.on(e, done);
  });
}

function applyHead(res: ServerResponse, response: HttpResponse): void {
  res.statusCode = response.status;
  for (const [name, value] of response.headers) {
    if (name.toLowerCase() !== 'set-cookie') res.setHeader(name, value);
  }
  const setCookies = [...response.headers.getSetCookie(), ...response.cookies.map(serializeCookie)];
  if (setCookies.length > 0) res.setHeader('set-cookie', setCookies);
}

/** Streaming on: writes each chunk as soon as it is produced (chat replies are SSE). */
async function writeStreamedResponse(
  req: IncomingMessage,
  res: ServerResponse,
  response: HttpResponse,
  log: LogFn,
): Promise<void> {
  applyHead(res, response);
  const body = response.body;
  if (!body || req.method === 'HEAD') {
    res.end();
    if (body) await body.cancel().catch(() => {});
    return;
  }
  res.flushHeaders();
  req.socket.setNoDelay(true);

  const reader = body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  // A client that goes away (closed tab, aborted fetch) cancels the producer, e.g. the upstream LLM stream.
  const onClose = (): void => {
    if (!res.writableFinished) reader.cancel().catch(() => {});
  };
  res.on('close', onClose);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || res.destroyed) break;
      if (!res.write(value)) await once(res, ['drain', 'close']);
    }
    res.end();
  } catch (err) {
    // Headers are gone already; cutting the connection is the only way to signal a broken body.
    log(`[http] response stream failed: ${describeError(err)}`);
    res.destroy(err instanceof Error ? err : new Error(String(err)));
  } finally {
    res.off('close', onClose);
  }
}

/**
 * Streaming off: the body is read to its end first, as the worker does when it converts the
 * response for the host, so the client gets the whole response at once with a Content-Length.
 * A body that fails is a 500 (nothing has been sent yet), not a cut connection.
 */
async function writeBufferedResponse(
  req: IncomingMessage,
  res: ServerResponse,
  response: HttpResponse,
  onBodyError: (err: unknown) => void,
): Promise<void> {
  let bytes: Buffer;
  try {
    bytes = response.body ? Buffer.from(await response.arrayBuffer()) : Buffer.alloc(0);
  } catch (err) {
    onBodyError(err);
    return;
  }
  if (res.destroyed) return;
  applyHead(res, response);
  res.removeHeader('transfer-encoding');
  res.setHeader('content-length', bytes.byteLength);
  res.end(req.method === 'HEAD' ? undefined : bytes);
}

export function createHttpServer(opts: HttpServerOptions): http.Server {
  const { router, settings, invoker, log, httpStream } = opts;
  const { requestTimeoutMs, headersTimeoutMs } = settings.http;
  const prefixSegments = settings.http.routePrefix.split('/').filter(Boolean);
  const limit = settings.http.maxRequestBodyBytes;

  async function handleApi(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    segments: string[],
  ): Promise<void> {
    const method = req.method ?? 'GET';
    const { match, methodMismatch } = router.match(method, segments);
    if (!match) {
      const message = methodMismatch
        ? `No function accepts ${method} ${url.pathname}`
        : `No function matches ${url.pathname}`;
      sendJson(res, 404, errorBody('not_found', message));
      return;
    }
    const declaredLength = Number(req.headers['content-length'] ?? 0);
    if (declaredLength > limit) {
      sendJson(res, 413, errorBody('payload_too_large', `Request body exceeds ${limit} bytes`), {
        connection: 'close',
      });
      return;
    }

    const tooLargeResponse = (): void =>
      sendJson(res, 413, errorBody('payload_too_large', `Request body exceeds ${limit} bytes`), {
        connection: 'close',
      });
    let tooLarge = false;
    let bodyTouched = false;
    const hasBody =
      method !== 'GET' &&
      method !== 'HEAD' &&
      (declaredLength > 0 || req.headers['transfer-encoding'] !== undefined);
    let body: BodyInit | undefined;
    if (!hasBody) {
      body = undefined;
    } else if (httpStream) {
      body = requestBody(
        req,
        limit,
        () => (tooLarge = true),
        () => (bodyTouched = true),
      );
    } else {
      bodyTouched = true;
      try {
        body = await readWholeBody(req, limit);
      } catch (err) {
        // The client went away (or the request timed out and Node answered 408 itself).
        if (!(err instanceof PayloadTooLargeError)) return;
        tooLargeResponse();
        return;
      }
    }
    const nativeRequest = new Request(url, {
      method,
      headers: toHeaders(req),
      body,
      duplex: 'half',
    } as RequestInit);
    // `nativeRequest` is HttpRequest's internal init field; it keeps the body a stream.
    const request = new HttpRequest({ nativeRequest, params: match.params } as unknown as HttpRequestInit);

    const invocationId = randomUUID();
    const fail = (cause: unknown): void => {
      log(`[http] ${match.route.target.name} (${invocationId}) threw: ${errorDetail(cause)}`);
      sendJson(
        res,
        500,
        errorBody('internal_error', `Function "${match.route.target.name}" failed; see the host log.`, {
          invocationId,
        }),
      );
    };
    let result: unknown;
    try {
      ({ result } = await invoker.invoke(match.route.target, request, { invocationId }));
    } catch (err) {
      const cause = err instanceof InvocationError ? err.cause : err;
      if (tooLarge || cause instanceof PayloadTooLargeError) {
        tooLargeResponse();
        return;
      }
      // Nobody is left to answer (client gone, or Node already sent 408 for a slow body).
      if (res.destroyed || req.socket.destroyed) {
        log(`[http] ${match.route.target.name} (${invocationId}) failed after the client went away`);
        return;
      }
      fail(cause);
      return;
    }
    // A body the handler never read: drain it (as Node does after a response) so the request
    // completes and its timeout stops running while a long response streams.
    if (hasBody && !bodyTouched && !req.complete) req.resume();
    const response = result instanceof HttpResponse ? result : new HttpResponse(result ?? {});
    if (httpStream) await writeStreamedResponse(req, res, response, log);
    else await writeBufferedResponse(req, res, response, fail);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    res.on('close', () => {
      const ms = (performance.now() - started).toFixed(0);
      const aborted = res.writableFinished ? '' : ' (connection closed early)';
      log(`${req.method} ${req.url} ${res.statusCode} ${ms}ms${aborted}`);
    });

    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
    } catch {
      sendJson(res, 400, errorBody('bad_request', 'Malformed request URL or Host header'));
      return;
    }
    const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
    let segments: string[];
    try {
      segments = rawPath.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      sendJson(res, 400, errorBody('bad_request', 'Malformed percent-encoding in path'));
      return;
    }

    if (segments[0]?.toLowerCase() === 'runtime' && segments[1]?.toLowerCase() === 'webhooks') {
      if (!(opts.webhooks && (await opts.webhooks(req, res, url)))) {
        sendJson(res, 404, errorBody('not_found', `No extension serves ${url.pathname}`));
      }
      return;
    }

    const underPrefix =
      segments.length >= prefixSegments.length &&
      prefixSegments.every((p, i) => p.toLowerCase() === segments[i]?.toLowerCase());
    if (
      underPrefix &&
      (prefixSegments.length > 0 || router.match(req.method ?? 'GET', segments).match || !opts.webDist)
    ) {
      await handleApi(req, res, url, segments.slice(prefixSegments.length));
      return;
    }
    if (opts.webDist) {
      await serveStatic(req, res, opts.webDist, rawPath);
      return;
    }
    sendJson(res, 404, errorBody('not_found', `Nothing is served at ${url.pathname}`));
  }

  // Headers must arrive within headersTimeoutMs and the whole request (body included) within
  // requestTimeoutMs, or Node answers 408 and closes the connection. The clock stops once the
  // request is complete, so a response may stream for as long as it likes.
  const server = http.createServer(
    {
      headersTimeout: Math.min(headersTimeoutMs, requestTimeoutMs),
      requestTimeout: requestTimeoutMs,
      // How often Node looks for expired requests (its default, 30 s, is coarse next to 20 s).
      connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(headersTimeoutMs / 4))),
    },
    (req, res) => {
      handle(req, res).catch((err: unknown) => {
        log(`[http] unhandled error for ${req.method} ${req.url}: ${errorDetail(err)}`);
        if (!res.headersSent) sendJson(res, 500, errorBody('internal_error', 'Local host error'));
        else res.destroy();
      });
    },
  );
  return server;
}
