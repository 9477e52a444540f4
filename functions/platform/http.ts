import type { Cookie, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { ZodError } from 'zod';
import type { User } from '../../shared/contracts/auth';
import { SESSION_COOKIE, type Session } from '../../shared/auth/service';
import { AppError } from '../../shared/errors';
import type { Services } from '../../shared/services';
import { services } from './services';

export interface PublicInput {
  services: Services;
  body: unknown;
  query: Record<string, string>;
  params: Record<string, string>;
  /** The raw session token from the cookie, when there was one. */
  token: string | undefined;
  clientKey: string;
  secureCookies: boolean;
}

/** What a route that requires a user receives: the session is live and CSRF-checked. */
export interface UserInput extends PublicInput {
  user: User;
  session: Session;
}

type Auth = 'user' | 'none';
type InputFor<A extends Auth> = A extends 'user' ? UserInput : PublicInput;

export interface RouteOptions<A extends Auth = Auth> {
  /** 'user': a live session is required (and X-CSRF-Token on anything but GET). */
  auth: A;
  /** Largest accepted body in bytes. */
  maxBody?: number;
  /** Hand the body over as text, unparsed (signed webhooks are verified on the exact bytes). */
  rawBody?: boolean;
}

const DEFAULT_MAX_BODY = 256 * 1024;

/**
 * The one place HTTP meets the core: reads and bounds the body, resolves the session,
 * checks CSRF, runs the route and turns every error into `{error: {code, message}}`.
 */
export async function handleHttp<A extends Auth>(
  req: HttpRequest,
  ctx: InvocationContext,
  opts: RouteOptions<A>,
  route: (input: InputFor<A>) => Promise<HttpResponseInit>,
): Promise<HttpResponseInit> {
  try {
    const svc = await services();
    const token = readCookie(req.headers.get('cookie'), SESSION_COOKIE);
    let session: Session | null = null;
    if (opts.auth === 'user') {
      session = token ? await svc.auth.resolve(token) : null;
      if (!session) throw new AppError('unauthenticated', 'Sign in first');
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        svc.auth.checkCsrf(session, req.headers.get('x-csrf-token'));
      }
    }
    const body = await readBody(req, opts.maxBody ?? DEFAULT_MAX_BODY, opts.rawBody ?? false);
    const query = Object.fromEntries(req.query.entries());
    // No resource of ours has such an id; saying so here keeps it away from every query.
    if (Object.values(req.params).some((v) => v.length > 128 || hasNul(v)))
      throw new AppError('not_found', 'Not found');
    if (Object.values(query).some((v) => hasNul(v))) {
      throw new AppError('invalid_request', 'The query string may not contain NUL characters');
    }
    const input: PublicInput = {
      services: svc,
      body,
      query,
      params: req.params,
      token,
      clientKey: (req.headers.get('x-forwarded-for') ?? '').split(',')[0]?.trim() || 'direct',
      secureCookies: isSecureOrigin(req.url),
    };
    // `session` is set exactly when opts.auth is 'user', which is what InputFor<A> says.
    return await route((session ? { ...input, user: session.user, session } : input) as InputFor<A>);
  } catch (err) {
    return errorResponse(err, ctx);
  }
}

export function errorResponse(err: unknown, ctx: InvocationContext): HttpResponseInit {
  if (err instanceof AppError) {
    const headers: Record<string, string> = {};
    if (err.options.retryAfterSeconds !== undefined)
      headers['Retry-After'] = String(err.options.retryAfterSeconds);
    if (err.code === 'internal') ctx.error(`internal error: ${err.message}`);
    return { status: err.status, headers, jsonBody: { error: { code: err.code, message: err.message } } };
  }
  if (err instanceof ZodError) {
    const message = err.issues
      .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
      .join('; ');
    return { status: 400, jsonBody: { error: { code: 'invalid_request', message } } };
  }
  ctx.error('unhandled error', err);
  return {
    status: 500,
    jsonBody: {
      error: {
        code: 'internal',
        message: `Something went wrong on our side (reference ${ctx.invocationId})`,
      },
    },
  };
}

async function readBody(req: HttpRequest, limit: number, raw: boolean): Promise<unknown> {
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
  if (size === 0) return raw ? '' : undefined;
  if (raw) return Buffer.concat(chunks).toString('utf8');
  const type = (req.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json' && !type.endsWith('+json')) {
    throw new AppError('unsupported_type', 'Send the body as JSON (Content-Type: application/json)');
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new AppError('invalid_request', 'The body is not valid UTF-8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new AppError('invalid_request', 'The body is not valid JSON');
  }
  // PostgreSQL text cannot hold U+0000; refusing it here covers every field of every body.
  if (containsNul(parsed)) {
    throw new AppError('invalid_request', 'Text may not contain NUL (U+0000) characters');
  }
  return parsed;
}

const hasNul = (s: string) => s.includes('\u0000');

function containsNul(v: unknown): boolean {
  if (typeof v === 'string') return hasNul(v);
  if (Array.isArray(v)) return v.some(containsNul);
  if (v && typeof v === 'object') return Object.entries(v).some(([k, x]) => hasNul(k) || containsNul(x));
  return false;
}

const tooLarge = (limit: number) =>
  new AppError(
    'too_large',
    `The body is larger than the ${Math.round(limit / 1024)} KB this endpoint accepts`,
  );

export function readCookie(header: string | null, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
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
