import type { Cookie, HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { z, ZodError } from 'zod';
import { SESSION_COOKIE, type Session } from '../../shared/auth/service';
import type { User } from '../../shared/contracts/auth';
import type { KeyPrincipal } from '../../shared/api-keys/service';
import { openAiError } from '../../shared/api-keys/openai';
import { AppError, type ErrorCode } from '../../shared/errors';
import type { Services } from '../../shared/services';
import { coreFor } from './core';

export interface PublicInput<B, Q> {
  core: Services;
  body: B;
  query: Q;
  params: Record<string, string>;
  /** The raw session token from the cookie, when there was one. */
  token: string | undefined;
  /** The client's address as the platform in front saw it: what throttles count by. */
  clientKey: string;
  secureCookies: boolean;
  req: HttpRequest;
  ctx: InvocationContext;
}

/** What a route that requires a user receives: the session is live and CSRF-checked. */
export interface UserInput<B, Q> extends PublicInput<B, Q> {
  user: User;
  session: Session;
}

/** What a route of the OpenAI-compatible API receives: the API key it was called with. */
export interface KeyInput<B, Q> extends PublicInput<B, Q> {
  key: KeyPrincipal;
}

type Auth = 'user' | 'apiKey' | 'none';
type Parsed<S> = S extends z.ZodType ? z.infer<S> : unknown;
type InputFor<A extends Auth, B, Q> = A extends 'user'
  ? UserInput<B, Q>
  : A extends 'apiKey'
    ? KeyInput<B, Q>
    : PublicInput<B, Q>;

export interface RouteOptions<A extends Auth, BS, QS> {
  /**
   * 'user': a live session is required (and X-CSRF-Token on anything but GET). 'apiKey': an
   * `Authorization: Bearer` API key is, the session cookie is ignored (so CSRF cannot reach the
   * route), and errors take OpenAI's shape.
   */
  auth: A;
  /** The body's schema; a mismatch is a 400 naming the field. Absent → the body is handed over unparsed. */
  body?: BS;
  /** The query string's schema. */
  query?: QS;
  /** Largest accepted body in bytes. */
  maxBody?: number;
  /** Hand the body over as text, unparsed (signed webhooks are verified on the exact bytes). */
  rawBody?: boolean;
  /** The body is `multipart/form-data`: handed over as FormData (files as File). */
  form?: boolean;
}

const DEFAULT_MAX_BODY = 256 * 1024;
/** Deeper JSON than this is no body of ours, and walking it must not cost the stack. */
const MAX_JSON_DEPTH = 64;

/**
 * The HTTP wrapper every HTTP function uses: it hands the route the core, reads and bounds the
 * body, resolves the session, checks CSRF, parses body and query with their schemas, and turns
 * every error into `{error: {code, message}}`. Nothing else in functions/ deals with these.
 */
export function http<
  A extends Auth,
  BS extends z.ZodType | undefined = undefined,
  QS extends z.ZodType | undefined = undefined,
>(
  opts: RouteOptions<A, BS, QS>,
  route: (input: InputFor<A, Parsed<BS>, Parsed<QS>>) => Promise<HttpResponseInit>,
): HttpHandler {
  return async (req, ctx) => {
    try {
      const core = await coreFor(ctx);
      const token =
        opts.auth === 'apiKey' ? undefined : readCookie(req.headers.get('cookie'), SESSION_COOKIE);
      let session: Session | null = null;
      let key: KeyPrincipal | null = null;
      if (opts.auth === 'apiKey') key = await core.apiKeys.authenticate(req.headers.get('authorization'));
      if (opts.auth === 'user') {
        session = token ? await core.auth.resolve(token) : null;
        if (!session) throw new AppError('unauthenticated', 'Sign in first.');
        if (req.method !== 'GET' && req.method !== 'HEAD') {
          core.auth.checkCsrf(session, req.headers.get('x-csrf-token'));
        }
      }
      // No resource of ours has such an id; saying so here keeps it away from every query.
      if (Object.values(req.params).some((v) => v.length > 128 || hasNul(v)))
        throw new AppError('not_found', 'Not found.');
      const rawQuery = Object.fromEntries(req.query.entries());
      if (Object.values(rawQuery).some((v) => hasNul(v))) {
        throw new AppError('invalid_request', 'The query string may not contain NUL characters.');
      }
      const raw = opts.form
        ? await readForm(req, opts.maxBody ?? DEFAULT_MAX_BODY)
        : await readBody(req, opts.maxBody ?? DEFAULT_MAX_BODY, opts.rawBody ?? false);
      const input: PublicInput<unknown, unknown> = {
        core,
        body: opts.body ? opts.body.parse(raw ?? {}) : raw,
        query: opts.query ? opts.query.parse(rawQuery) : rawQuery,
        params: req.params,
        token,
        clientKey: clientAddress(req, core.config.CLIENT_IP_HEADER),
        secureCookies: isSecureOrigin(req.url),
        req,
        ctx,
      };
      // `session` is set exactly when opts.auth is 'user', `key` when it is 'apiKey', which is what InputFor<A> says.
      const withAuth = session ? { ...input, user: session.user, session } : key ? { ...input, key } : input;
      return await route(withAuth as InputFor<A, Parsed<BS>, Parsed<QS>>);
    } catch (err) {
      return errorResponse(err, ctx, opts.auth === 'apiKey' ? 'openai' : 'ours');
    }
  };
}

/** Every error as `{error: {code, message}}`, or in OpenAI's shape for the OpenAI-compatible API. */
export function errorResponse(
  err: unknown,
  ctx: InvocationContext,
  shape: 'ours' | 'openai' = 'ours',
): HttpResponseInit {
  const { status, code, message, retryAfterSeconds } = describe(err, ctx);
  const headers: Record<string, string> = {};
  if (retryAfterSeconds !== undefined) headers['Retry-After'] = String(retryAfterSeconds);
  const jsonBody =
    shape === 'openai' ? openAiError(code, status, message).body : { error: { code, message } };
  return { status, headers, jsonBody };
}

function describe(
  err: unknown,
  ctx: InvocationContext,
): { status: number; code: ErrorCode; message: string; retryAfterSeconds?: number } {
  if (err instanceof AppError) {
    if (err.code === 'internal') ctx.error(`internal error: ${err.message}`);
    return {
      status: err.status,
      code: err.code,
      message: err.message,
      retryAfterSeconds: err.options.retryAfterSeconds,
    };
  }
  if (err instanceof ZodError) {
    const message = err.issues
      .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
      .join(' ');
    return { status: 400, code: 'invalid_request', message };
  }
  ctx.error('unhandled error', err);
  return {
    status: 500,
    code: 'internal',
    message: `Something went wrong on our side. Try again; if it keeps happening, quote reference ${ctx.invocationId}.`,
  };
}

/**
 * The platform in front names the client: `CLIENT_IP_HEADER` (Front Door's `X-Azure-ClientIP`)
 * when configured, else the last `X-Forwarded-For` entry, which the front end that accepted the
 * connection appended (the App Service front end in Azure, the local host here). Earlier
 * entries are whatever the client sent, so rotating them must not buy new throttle budgets.
 */
export function clientAddress(req: HttpRequest, header: string | undefined): string {
  const named = header ? req.headers.get(header)?.split(',')[0]?.trim() : undefined;
  if (named) return named.slice(0, 64);
  const forwarded = req.headers.get('x-forwarded-for')?.split(',');
  const last = forwarded?.[forwarded.length - 1]?.trim();
  return (last || 'unknown').slice(0, 64);
}

async function readBytes(req: HttpRequest, limit: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers.get('content-length') ?? '0');
  if (declared > limit) throw tooLarge(limit);
  if (!req.body) return undefined;
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = (req.body as ReadableStream<Uint8Array>).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

async function readForm(req: HttpRequest, limit: number): Promise<FormData> {
  const type = req.headers.get('content-type') ?? '';
  if (!/^multipart\/form-data;/i.test(type)) {
    throw new AppError('unsupported_type', 'Send the file as multipart/form-data, in a field named "file".');
  }
  const bytes = (await readBytes(req, limit)) ?? Buffer.alloc(0);
  try {
    return await new Response(new Uint8Array(bytes), { headers: { 'content-type': type } }).formData();
  } catch {
    throw new AppError(
      'invalid_request',
      'The form data could not be read. Send the file in a field named "file".',
    );
  }
}

async function readBody(req: HttpRequest, limit: number, raw: boolean): Promise<unknown> {
  const bytes = await readBytes(req, limit);
  if (!bytes || bytes.byteLength === 0) return raw ? '' : undefined;
  if (raw) return bytes.toString('utf8');
  const type = (req.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json' && !type.endsWith('+json')) {
    throw new AppError('unsupported_type', 'Send the body as JSON (Content-Type: application/json).');
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new AppError('invalid_request', 'The body is not valid UTF-8.');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new AppError('invalid_request', 'The body is not valid JSON.');
  }
  checkJson(parsed);
  return parsed;
}

const hasNul = (s: string) => s.includes('\u0000');

/**
 * PostgreSQL text cannot hold U+0000, so refusing it here covers every field of every body;
 * the walk is iterative and bounded, so hostile nesting costs a 400, not the stack.
 */
function checkJson(root: unknown): void {
  const stack: [unknown, number][] = [[root, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v === 'string') {
      if (hasNul(v)) throw new AppError('invalid_request', 'Text may not contain NUL (U+0000) characters.');
    } else if (v && typeof v === 'object') {
      if (depth >= MAX_JSON_DEPTH) {
        throw new AppError('invalid_request', `The body is nested more than ${MAX_JSON_DEPTH} levels deep.`);
      }
      for (const [k, x] of Object.entries(v)) {
        if (hasNul(k)) throw new AppError('invalid_request', 'Text may not contain NUL (U+0000) characters.');
        stack.push([x, depth + 1]);
      }
    }
  }
}

const tooLarge = (limit: number) =>
  new AppError(
    'too_large',
    `The body is larger than the ${Math.round(limit / 1024)} KB this endpoint accepts.`,
  );

/** A malformed cookie (`%zz`) is no cookie: the request goes on signed out. */
export function readCookie(header: string | null, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** Cookies are `Secure` except on plain-http localhost, where browsers would drop them. */
function isSecureOrigin(url: string): boolean {
  const u = new URL(url);
  return u.protocol === 'https:' || !['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);
}

export function sessionCookie(token: string, expiresAt: Date, secure: boolean): Cookie {
  return {
    name: SESSION_COOKIE,
    value: token,
    path: '/',
    httpOnly: true,
    sameSite: 'Lax',
    secure,
    expires: expiresAt,
  };
}

export function clearedSessionCookie(secure: boolean): Cookie {
  return { name: SESSION_COOKIE, value: '', path: '/', httpOnly: true, sameSite: 'Lax', secure, maxAge: 0 };
}
