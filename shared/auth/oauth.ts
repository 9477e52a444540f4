import { createHash } from 'node:crypto';
import type { Clock } from '../clock';
import type { Config } from '../config';
import {
  emailAddress,
  oauthProviderIds,
  type AuthErrorCode,
  type OAuthCallbackQuery,
  type OAuthProviderId,
  type ProvidersResponse,
} from '../contracts/auth';
import type { Db } from '../db/db';
import { AppError } from '../errors';
import { newId } from '../ids';
import { googleProvider } from './providers/google';
import { microsoftProvider } from './providers/microsoft';
import { jsonHttp, type JsonHttp } from './providers/net';
import { SignInFailure, type OidcProvider, type VerifiedIdentity } from './providers/types';
import { issueSession, resolveSession, type IssuedSession } from './service';
import { identityStore, oauthFlowStore, throttleStore, userStore, type UserRow } from './store';
import { hashToken, newToken, sameSecret } from './tokens';

/** The cookie that binds a sign-in in progress to the browser that started it. */
export const OAUTH_COOKIE = 'gm_oauth';

export const oauthPolicy = {
  /** A sign-in must come back from the provider within this. */
  flowTtlMs: 10 * 60_000,
  /** Sign-ins one client address may start (each stores a flow until it ends or expires). */
  startsPerClient: { limit: 60, windowMs: 15 * 60_000 },
};

/** The binding cookie: HttpOnly, only sent to /api/auth, gone when the flow would have expired. */
export function bindingCookie(value: string, secure: boolean, maxAgeSeconds: number) {
  return {
    name: OAUTH_COOKIE,
    value,
    path: '/api/auth',
    httpOnly: true,
    // Lax: the provider's redirect back is a top-level GET, which carries it.
    sameSite: 'Lax' as const,
    secure,
    maxAge: maxAgeSeconds,
  };
}

/**
 * Where to go after signing in: a path on our own origin, or `/`. Anything else (another
 * origin, `//evil.example`, `/\evil.example`, a scheme) is ignored, not refused.
 */
export function safeReturnTo(raw: string | undefined, publicBaseUrl: string): string {
  if (!raw || raw.length > 2048 || !raw.startsWith('/') || raw.startsWith('//')) return '/';
  // Browsers read a backslash as a slash, and control characters are dropped before parsing.
  if (raw.includes('\\') || [...raw].some((c) => c <= '\u001f' || c === '\u007f')) return '/';
  const base = new URL(publicBaseUrl);
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    return '/';
  }
  if (url.origin !== base.origin) return '/';
  return `${url.pathname}${url.search}${url.hash}`;
}

/** `path` with `authError=<code>` added to its query (before any fragment). */
export function withAuthError(path: string, code: AuthErrorCode): string {
  const url = new URL(path, 'http://x');
  url.searchParams.set('authError', code);
  return `${url.pathname}${url.search}${url.hash}`;
}

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

export interface CallbackResult {
  /**
   * Where the browser goes next: `returnTo`, or `/?authError=<code>` (a link started from a
   * signed-in page goes back there with `?authError=<code>`).
   */
  location: string;
  /** The new session, when the callback signed someone in (linking keeps the current one). */
  issued?: IssuedSession;
  /** Why it failed, for the log (the browser is told only the code). */
  failure?: SignInFailure;
}

export interface StartResult {
  /** The provider's authorization URL, or `/?authError=provider_error` when it cannot be reached. */
  location: string;
  /** The binding cookie's value, when a flow was stored. */
  binding?: { value: string; maxAgeSeconds: number };
  failure?: SignInFailure;
}

export type OAuthService = ReturnType<typeof oauthService>;

/**
 * Sign-in with Google and Microsoft: the authorization code flow with `state`, `nonce` and PKCE
 * (S256), each flow stored once and bound to its browser by a cookie.
 *
 * Accounts are keyed by identity `(provider, subject)`. A known identity signs in to its
 * account. A new one, signed out, joins the account with its email only when the provider
 * vouches for that email (else `email_unverified`: an unverified email never links to, takes
 * over or creates an account); with no such account, a new one (without password) is made.
 * Signed in, a new identity is linked to the current account whatever its email says (the
 * session proves the account, the provider the identity); one that belongs to another account
 * stays there (`already_linked`).
 */
export function oauthService(deps: {
  config: Config;
  db: Db;
  clock: Clock;
  /** Runs in the transaction that creates an account (the welcome credit), as for sign-up. */
  onRegistered?: (tx: Db, userId: string) => Promise<void>;
  /** The providers' HTTP (default: node:http(s) trusting Node's CAs and NODE_EXTRA_CA_CERTS). */
  http?: JsonHttp;
  /** Stand-ins for the configured providers (unit tests). */
  providers?: Partial<Record<OAuthProviderId, OidcProvider>>;
}) {
  const { config, db, clock } = deps;
  const redirectUri = (id: OAuthProviderId) => `${config.PUBLIC_BASE_URL}/api/auth/${id}/callback`;
  const configured: Record<OAuthProviderId, boolean> = {
    google: !!(deps.providers?.google ?? config.GOOGLE_CLIENT_ID),
    microsoft: !!(deps.providers?.microsoft ?? config.MICROSOFT_CLIENT_ID),
  };
  const names: Record<OAuthProviderId, string> = { google: 'Google', microsoft: 'Microsoft' };

  // Built on first use: a deployment without providers never loads their libraries' state.
  const built = new Map<OAuthProviderId, OidcProvider>();
  let http: JsonHttp | undefined;
  function provider(id: OAuthProviderId): OidcProvider {
    const given = deps.providers?.[id];
    if (given) return given;
    let p = built.get(id);
    if (!p) {
      http ??= deps.http ?? jsonHttp();
      try {
        p =
          id === 'google'
            ? googleProvider({
                clientId: config.GOOGLE_CLIENT_ID!,
                clientSecret: config.GOOGLE_CLIENT_SECRET,
                issuer: config.GOOGLE_ISSUER,
                redirectUri: redirectUri(id),
                http,
              })
            : microsoftProvider({
                clientId: config.MICROSOFT_CLIENT_ID!,
                clientSecret: config.MICROSOFT_CLIENT_SECRET,
                authority: config.MICROSOFT_AUTHORITY,
                redirectUri: redirectUri(id),
                http,
              });
      } catch (err) {
        throw new SignInFailure('provider_error', `${names[id]} sign-in is misconfigured.`, err);
      }
      built.set(id, p);
    }
    return p;
  }

  function configuredProvider(id: string): OAuthProviderId {
    const known = (oauthProviderIds as readonly string[]).includes(id);
    if (!known || !configured[id as OAuthProviderId]) {
      throw new AppError('not_found', 'That sign-in provider is not offered here.');
    }
    return id as OAuthProviderId;
  }

  const failed = (code: AuthErrorCode, failure: SignInFailure, to = '/'): CallbackResult => ({
    location: withAuthError(to, code),
    failure,
  });

  /** The account a verified identity signs in to, or why it may not. */
  async function accountFor(
    id: OAuthProviderId,
    identity: VerifiedIdentity,
    linkUserId: string | null,
  ): Promise<{ row: UserRow; linked: boolean }> {
    const now = clock.now();
    const email = identity.email ? emailAddress.safeParse(identity.email) : undefined;
    const verifiedEmail = identity.emailVerified && email?.success ? email.data : null;
    return db.tx(async (tx) => {
      const users = userStore(tx);
      const identities = identityStore(tx);
      const existing = await identities.find(id, identity.subject);

      if (linkUserId) {
        const owner =
          existing?.user_id ??
          (await identities.link({
            provider: id,
            subject: identity.subject,
            userId: linkUserId,
            email: identity.email,
            at: now,
          }));
        if (owner !== linkUserId) {
          throw new SignInFailure(
            'already_linked',
            `That ${names[id]} account belongs to another account here.`,
          );
        }
        if (existing) await identities.used(id, identity.subject, identity.email, now);
        const row = await users.byId(linkUserId);
        if (!row) throw new SignInFailure('state_mismatch', 'The account to link to is gone.');
        return { row, linked: true };
      }

      if (existing) {
        await identities.used(id, identity.subject, identity.email, now);
        const row = await users.byId(existing.user_id);
        if (!row) throw new SignInFailure('provider_error', 'The account of that identity is gone.');
        return { row, linked: false };
      }

      if (!verifiedEmail) {
        throw new SignInFailure(
          'email_unverified',
          `${names[id]} does not vouch for the email of that account, so it is not linked to or made into one.`,
        );
      }
      let row = await users.byEmail(verifiedEmail);
      if (!row) {
        const name = identity.name?.trim().slice(0, 100) || null;
        row = await users.insert({ id: newId(), email: verifiedEmail, name, passwordHash: null, at: now });
        if (row) await deps.onRegistered?.(tx, row.id);
        // Created a moment ago by a concurrent sign-up: that is the account with this email.
        else row = await users.byEmail(verifiedEmail);
        if (!row) throw new SignInFailure('provider_error', 'The account could not be created.');
      }
      const owner = await identities.link({
        provider: id,
        subject: identity.subject,
        userId: row.id,
        email: identity.email,
        at: now,
      });
      const signedInto = owner && owner !== row.id ? await users.byId(owner) : await users.byId(row.id);
      if (!signedInto) throw new SignInFailure('provider_error', 'The account of that identity is gone.');
      return { row: signedInto, linked: false };
    });
  }

  return {
    providers(): ProvidersResponse {
      return {
        password: true,
        providers: oauthProviderIds.filter((id) => configured[id]).map((id) => ({ id, name: names[id] })),
      };
    },

    /**
     * Starts a sign-in: a fresh state, nonce and PKCE verifier, stored under the hash of a new
     * binding token that goes to the browser as a cookie. Signed in already (`sessionToken` is
     * live), the flow links the identity to that account instead.
     */
    async start(input: {
      provider: string;
      returnTo?: string;
      sessionToken?: string;
      clientKey: string;
    }): Promise<StartResult> {
      const id = configuredProvider(input.provider);
      const now = clock.now();
      const rule = {
        windowMs: oauthPolicy.startsPerClient.windowMs,
        threshold: oauthPolicy.startsPerClient.limit,
        delayMs: oauthPolicy.startsPerClient.windowMs,
        maxDelayMs: oauthPolicy.startsPerClient.windowMs,
      };
      const key = `oauth:client:${input.clientKey}`;
      if (!(await throttleStore(db).take(key, rule, now))) {
        const until = (await throttleStore(db).lockedUntil(key))?.getTime() ?? now.getTime();
        const seconds = Math.max(1, Math.ceil((until - now.getTime()) / 1000));
        throw new AppError(
          'rate_limited',
          'Too many sign-ins were started from your network. Try again later.',
          {
            retryAfterSeconds: seconds,
          },
        );
      }
      const session = input.sessionToken ? await resolveSession(db, clock, input.sessionToken) : null;
      const state = newToken();
      const nonce = newToken();
      const codeVerifier = newToken() + newToken(); // 86 characters of the 43–128 PKCE allows
      let location: string;
      try {
        location = await provider(id).authorizationUrl({ state, nonce, codeChallenge: s256(codeVerifier) });
      } catch (err) {
        const failure =
          err instanceof SignInFailure
            ? err
            : new SignInFailure('provider_error', `${names[id]} sign-in could not start.`, err);
        return failed('provider_error', failure);
      }
      const binding = newToken();
      await oauthFlowStore(db).insert({
        binding_hash: hashToken(binding),
        provider: id,
        state,
        nonce,
        code_verifier: codeVerifier,
        return_to: safeReturnTo(input.returnTo, config.PUBLIC_BASE_URL),
        link_user_id: session?.user.id ?? null,
        created_at: now,
        expires_at: new Date(now.getTime() + oauthPolicy.flowTtlMs),
      });
      return { location, binding: { value: binding, maxAgeSeconds: oauthPolicy.flowTtlMs / 1000 } };
    },

    /**
     * The provider's redirect back. The flow is taken out first (one use: a replayed callback
     * finds nothing), its `state` compared with the one returned, then the code redeemed with
     * the PKCE verifier and the ID token verified by the provider module.
     */
    async callback(input: {
      provider: string;
      query: OAuthCallbackQuery;
      binding?: string;
      sessionToken?: string;
    }): Promise<CallbackResult> {
      const id = configuredProvider(input.provider);
      const flow = input.binding ? await oauthFlowStore(db).take(hashToken(input.binding)) : null;
      const now = clock.now();
      if (
        !flow ||
        flow.provider !== id ||
        new Date(flow.expires_at).getTime() <= now.getTime() ||
        !input.query.state ||
        !sameSecret(input.query.state, flow.state)
      ) {
        return failed(
          'state_mismatch',
          new SignInFailure(
            'state_mismatch',
            'The callback does not belong to a sign-in this browser started.',
          ),
        );
      }
      // A link is for the account that started it, and only while that session lives; its
      // failures go back to the page it started from (signed in, `/` is the chat, not the form).
      let failTo = '/';
      if (flow.link_user_id) {
        const session = input.sessionToken ? await resolveSession(db, clock, input.sessionToken) : null;
        if (session?.user.id !== flow.link_user_id) {
          return failed(
            'state_mismatch',
            new SignInFailure('state_mismatch', 'The session that started the link has ended.'),
          );
        }
        failTo = flow.return_to;
      }
      if (input.query.error) {
        const code = input.query.error === 'access_denied' ? 'denied' : 'provider_error';
        return failed(code, new SignInFailure(code, `${names[id]} answered ${input.query.error}.`), failTo);
      }
      if (!input.query.code) {
        const failure = new SignInFailure('provider_error', `${names[id]} sent no code.`);
        return failed('provider_error', failure, failTo);
      }
      try {
        const identity = await provider(id).redeem({
          code: input.query.code,
          codeVerifier: flow.code_verifier,
          nonce: flow.nonce,
        });
        const { row, linked } = await accountFor(id, identity, flow.link_user_id);
        if (linked) return { location: flow.return_to };
        return { location: flow.return_to, issued: await issueSession(db, clock, row) };
      } catch (err) {
        const failure =
          err instanceof SignInFailure
            ? err
            : new SignInFailure('provider_error', `${names[id]} sign-in failed.`, err);
        return failed(failure.code, failure, failTo);
      }
    },
  };
}
