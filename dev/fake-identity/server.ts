/**
 * Offline OpenID Connect providers shaped like Google and like Microsoft's identity platform:
 * discovery, authorize (auto-approving a configured user, or a small consent page), token
 * (authorization code + PKCE S256, each code once) and JWKS, with RS256 ID tokens signed by a
 * key made at start. Tests and the local host use them in place of the real ones; see README.md.
 */
import { createHash, generateKeyPairSync, randomBytes, createSign, type KeyObject } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export type FakeIdentityKind = 'google' | 'microsoft';

/** Who signs in. Microsoft's `tid`/`oid` default to a fixed tenant and an id derived from `sub`. */
export interface FakeUser {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
  tid?: string;
  oid?: string;
}

/** Ways to make the next tokens wrong, to see the app refuse them. Cleared with `{}`. */
export interface FakeTamper {
  nonce?: string;
  audience?: string;
  issuer?: string;
  /** Sign with a key that is not in the JWKS (under the published kid). */
  signWithOtherKey?: boolean;
  expiresInSeconds?: number;
}

export interface FakeIdentityOptions {
  kind: FakeIdentityKind;
  clientId: string;
  clientSecret: string;
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Serve HTTPS with this key and certificate (the Microsoft one must: msal refuses http). */
  tls?: { key: string; cert: string };
  /** Approve every authorization at once as this user; unset: show a consent page. */
  user?: FakeUser;
}

export interface TokenRequest {
  code: string;
  status: number;
  error?: string;
}

export interface FakeIdentity {
  kind: FakeIdentityKind;
  /** The origin, e.g. https://localhost:12345. */
  url: string;
  /** GOOGLE_ISSUER for the Google one; MICROSOFT_AUTHORITY (`{url}/common`) for the Microsoft one. */
  issuer: string;
  /** Auto-approve as this user (unset: the consent page). */
  user: FakeUser | undefined;
  /** The next authorizations answer `error=access_denied`, as when the person cancels. */
  deny: boolean;
  tamper: FakeTamper;
  /** Every token request, in order. */
  tokenRequests: TokenRequest[];
  close(): Promise<void>;
}

/** The tenant a Microsoft user without `tid` belongs to. */
export const FAKE_TENANT_ID = '7d5c9a1e-3b2f-4c8d-9e6a-0f1b2c3d4e5f';

interface Grant {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  nonce: string | undefined;
  scope: string;
  user: FakeUser;
  expiresAt: number;
  used: boolean;
}

interface PendingAuthorization {
  params: URLSearchParams;
  expiresAt: number;
}

const b64url = (v: string | Buffer) => Buffer.from(v).toString('base64url');
const newKey = () => generateKeyPairSync('rsa', { modulusLength: 2048 });

export async function startFakeIdentity(opts: FakeIdentityOptions): Promise<FakeIdentity> {
  const signing = newKey();
  const other = newKey();
  const kid = b64url(randomBytes(8));
  const grants = new Map<string, Grant>();
  const pending = new Map<string, PendingAuthorization>();
  const ms = opts.kind === 'microsoft';
  let origin = '';

  const paths = ms
    ? {
        discovery: /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/,
        authorize: /^\/([^/]+)\/oauth2\/v2\.0\/authorize$/,
        decide: /^\/([^/]+)\/oauth2\/v2\.0\/authorize\/decide$/,
        token: /^\/([^/]+)\/oauth2\/v2\.0\/token$/,
        jwks: /^\/([^/]+)\/discovery\/v2\.0\/keys$/,
      }
    : {
        discovery: /^\/()\.well-known\/openid-configuration$/,
        authorize: /^\/()o\/oauth2\/v2\/auth$/,
        decide: /^\/()o\/oauth2\/v2\/auth\/decide$/,
        token: /^\/()token$/,
        jwks: /^\/()oauth2\/v3\/certs$/,
      };

  function metadata(tenant: string) {
    if (!ms) {
      return {
        issuer: origin,
        authorization_endpoint: `${origin}/o/oauth2/v2/auth`,
        token_endpoint: `${origin}/token`,
        jwks_uri: `${origin}/oauth2/v3/certs`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        scopes_supported: ['openid', 'email', 'profile'],
        code_challenge_methods_supported: ['S256'],
        claims_supported: ['aud', 'email', 'email_verified', 'exp', 'iat', 'iss', 'name', 'nonce', 'sub'],
      };
    }
    const multi = ['common', 'organizations', 'consumers'].includes(tenant);
    return {
      issuer: `${origin}/${multi ? '{tenantid}' : tenant}/v2.0`,
      authorization_endpoint: `${origin}/${tenant}/oauth2/v2.0/authorize`,
      token_endpoint: `${origin}/${tenant}/oauth2/v2.0/token`,
      jwks_uri: `${origin}/${tenant}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      tenant_region_scope: null,
      cloud_instance_name: 'localhost',
    };
  }

  function idToken(grant: Grant, tamper: FakeTamper): string {
    const now = Math.floor(Date.now() / 1000);
    const u = grant.user;
    const tid = u.tid ?? FAKE_TENANT_ID;
    const oid = u.oid ?? uuidFrom(u.sub);
    const common = {
      aud: tamper.audience ?? grant.clientId,
      iat: now,
      exp: now + (tamper.expiresInSeconds ?? 3600),
      ...((tamper.nonce ?? grant.nonce) !== undefined ? { nonce: tamper.nonce ?? grant.nonce } : {}),
      ...(u.name !== undefined ? { name: u.name } : {}),
      ...(u.email !== undefined ? { email: u.email } : {}),
    };
    const claims = ms
      ? {
          ...common,
          iss: tamper.issuer ?? `${origin}/${tid}/v2.0`,
          nbf: now,
          ver: '2.0',
          sub: u.sub,
          oid,
          tid,
          ...(u.email !== undefined ? { preferred_username: u.email } : {}),
          ...(u.email_verified ? { xms_edov: true } : {}),
        }
      : {
          ...common,
          iss: tamper.issuer ?? origin,
          azp: grant.clientId,
          sub: u.sub,
          ...(u.email_verified !== undefined ? { email_verified: u.email_verified } : {}),
        };
    const head = b64url(JSON.stringify({ alg: 'RS256', kid, typ: 'JWT' }));
    const body = b64url(JSON.stringify(claims));
    const key: KeyObject = tamper.signWithOtherKey ? other.privateKey : signing.privateKey;
    const sig = createSign('RSA-SHA256').update(`${head}.${body}`).sign(key).toString('base64url');
    return `${head}.${body}.${sig}`;
  }

  function authorize(
    res: ServerResponse,
    params: URLSearchParams,
    user: FakeUser | undefined,
    deny: boolean,
  ) {
    const redirectUri = params.get('redirect_uri');
    if (params.get('client_id') !== opts.clientId || !redirectUri) {
      return html(res, 400, '<h1>Unknown client</h1><p>client_id or redirect_uri is wrong.</p>');
    }
    const back = new URL(redirectUri);
    const state = params.get('state');
    if (state !== null) back.searchParams.set('state', state);
    const fail = (error: string, description: string) => {
      back.searchParams.set('error', error);
      back.searchParams.set('error_description', description);
      return redirect(res, back.toString());
    };
    if (params.get('response_type') !== 'code') return fail('unsupported_response_type', 'Only code.');
    if (!(params.get('scope') ?? '').split(' ').includes('openid'))
      return fail('invalid_scope', 'openid is required.');
    const codeChallenge = params.get('code_challenge');
    if (!codeChallenge || params.get('code_challenge_method') !== 'S256') {
      return fail('invalid_request', 'PKCE with S256 is required.');
    }
    if (deny || !user) return fail('access_denied', 'The user cancelled.');
    const code = b64url(randomBytes(24));
    grants.set(code, {
      clientId: opts.clientId,
      redirectUri,
      codeChallenge,
      nonce: params.get('nonce') ?? undefined,
      scope: params.get('scope') ?? 'openid',
      user,
      expiresAt: Date.now() + 60_000,
      used: false,
    });
    back.searchParams.set('code', code);
    return redirect(res, back.toString());
  }

  async function token(req: IncomingMessage, res: ServerResponse) {
    const form = new URLSearchParams(await readBody(req));
    const code = form.get('code') ?? '';
    const refuse = (status: number, error: string, description: string) => {
      fake.tokenRequests.push({ code, status, error });
      json(res, status, {
        error,
        error_description: description,
        ...(ms
          ? { error_codes: [70008], timestamp: new Date().toISOString(), trace_id: '', correlation_id: '' }
          : {}),
      });
    };
    let clientId = form.get('client_id');
    let secret = form.get('client_secret');
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
    if (basic)
      [clientId, secret] = Buffer.from(basic[1]!, 'base64').toString().split(':') as [string, string];
    if (clientId !== opts.clientId || secret !== opts.clientSecret) {
      return refuse(401, 'invalid_client', 'Unknown client or wrong secret.');
    }
    if (form.get('grant_type') !== 'authorization_code')
      return refuse(400, 'unsupported_grant_type', 'Only codes.');
    const grant = grants.get(code);
    if (!grant || grant.expiresAt < Date.now())
      return refuse(400, 'invalid_grant', 'The code is unknown or expired.');
    if (grant.used) return refuse(400, 'invalid_grant', 'The code was already redeemed.');
    grant.used = true;
    if (form.get('redirect_uri') !== grant.redirectUri)
      return refuse(400, 'invalid_grant', 'redirect_uri differs.');
    const verifier = form.get('code_verifier') ?? '';
    if (createHash('sha256').update(verifier).digest('base64url') !== grant.codeChallenge) {
      return refuse(400, 'invalid_grant', 'The code verifier does not match the challenge.');
    }
    fake.tokenRequests.push({ code, status: 200 });
    const u = grant.user;
    json(res, 200, {
      token_type: 'Bearer',
      scope: grant.scope,
      expires_in: 3600,
      ...(ms ? { ext_expires_in: 3600 } : {}),
      access_token: b64url(randomBytes(32)),
      id_token: idToken(grant, fake.tamper),
      ...(ms
        ? {
            client_info: b64url(
              JSON.stringify({ uid: u.oid ?? uuidFrom(u.sub), utid: u.tid ?? FAKE_TENANT_ID }),
            ),
          }
        : {}),
    });
  }

  function consentPage(res: ServerResponse, decidePath: string, params: URLSearchParams) {
    const id = b64url(randomBytes(16));
    pending.set(id, { params, expiresAt: Date.now() + 10 * 60_000 });
    const who = ms ? 'Microsoft' : 'Google';
    html(
      res,
      200,
      `<h1>Sign in with the offline ${who} provider</h1>
<p>This is a stand-in for ${who} (dev/fake-identity): nothing leaves this machine.</p>
<form method="post" action="${decidePath}">
  <input type="hidden" name="id" value="${id}">
  <p><label>Email <input name="email" type="email" value="demo@example.com" required></label></p>
  <p><label>Name <input name="name" value="Demo Person"></label></p>
  <p><label><input name="verified" type="checkbox" checked> The provider vouches for this email</label></p>
  <p><button name="decision" value="allow">Continue</button> <button name="decision" value="deny">Cancel</button></p>
</form>`,
    );
  }

  async function decide(req: IncomingMessage, res: ServerResponse) {
    const form = new URLSearchParams(await readBody(req));
    const entry = pending.get(form.get('id') ?? '');
    pending.delete(form.get('id') ?? '');
    if (!entry || entry.expiresAt < Date.now()) return html(res, 400, '<h1>This sign-in expired</h1>');
    const email = (form.get('email') ?? '').trim().toLowerCase();
    const user: FakeUser = {
      sub: `fake-${createHash('sha256').update(email).digest('hex').slice(0, 20)}`,
      email,
      email_verified: form.get('verified') === 'on',
      name: form.get('name') || undefined,
    };
    authorize(res, entry.params, user, form.get('decision') !== 'allow');
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', origin);
    const p = url.pathname;
    let m: RegExpExecArray | null;
    if (req.method === 'GET' && (m = paths.discovery.exec(p))) return json(res, 200, metadata(m[1]!));
    if (req.method === 'GET' && paths.jwks.test(p)) {
      const jwk = signing.publicKey.export({ format: 'jwk' });
      return json(
        res,
        200,
        { keys: [{ ...jwk, kid, use: 'sig', alg: 'RS256' }] },
        { 'cache-control': 'max-age=3600' },
      );
    }
    if (req.method === 'GET' && (m = paths.authorize.exec(p))) {
      if (fake.user || fake.deny) return authorize(res, url.searchParams, fake.user, fake.deny);
      return consentPage(res, `${p}/decide`, url.searchParams);
    }
    if (req.method === 'POST' && paths.decide.test(p)) return decide(req, res);
    if (req.method === 'POST' && paths.token.test(p)) return token(req, res);
    json(res, 404, { error: 'not_found' });
  }

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) json(res, 500, { error: 'server_error', error_description: String(err) });
      else res.destroy();
    });
  };
  const server = opts.tls
    ? createHttpsServer({ key: opts.tls.key, cert: opts.tls.cert }, listener)
    : createHttpServer(listener);
  const host = opts.host ?? 'localhost';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host === 'localhost' ? '127.0.0.1' : host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  origin = `${opts.tls ? 'https' : 'http'}://${host}:${port}`;

  const fake: FakeIdentity = {
    kind: opts.kind,
    url: origin,
    issuer: ms ? `${origin}/common` : origin,
    user: opts.user,
    deny: false,
    tamper: {},
    tokenRequests: [],
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return fake;
}

/** A stable GUID-shaped id for a subject (Microsoft's `oid`). */
function uuidFrom(sub: string): string {
  const h = createHash('sha256').update(`oid:${sub}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 64 * 1024) req.destroy(new Error('body too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

function html(res: ServerResponse, status: number, body: string) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`<!doctype html><meta charset="utf-8"><title>Offline sign-in</title>${body}`);
}

function redirect(res: ServerResponse, location: string) {
  res.writeHead(302, { location, 'cache-control': 'no-store' });
  res.end();
}
