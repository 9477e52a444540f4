import { CodeChallengeMethod, OAuth2Client } from 'google-auth-library';
import { discovery } from './discovery';
import { decodeJwt, keySet } from './keys';
import type { JsonHttp } from './net';
import { OIDC_SCOPES, SignInFailure, type OidcProvider } from './types';

/**
 * Google sign-in through google-auth-library: its OAuth2Client builds the authorization URL and
 * redeems the code, its `verifySignedJwtWithCertsAsync` checks the ID token against the keys
 * the issuer publishes. Everything is found from `{issuer}/.well-known/openid-configuration`,
 * so an offline provider (dev/fake-identity) stands in by changing GOOGLE_ISSUER alone.
 */
export function googleProvider(opts: {
  clientId: string;
  clientSecret: string | undefined;
  issuer: string;
  redirectUri: string;
  http: JsonHttp;
}): OidcProvider {
  const metadata = discovery(
    opts.http,
    `${opts.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`,
  );
  const keys = keySet(opts.http, async () => (await metadata()).jwks_uri);

  async function client() {
    const d = await metadata();
    return {
      d,
      client: new OAuth2Client({
        clientId: opts.clientId,
        clientSecret: opts.clientSecret,
        redirectUri: opts.redirectUri,
        endpoints: {
          oauth2AuthBaseUrl: d.authorization_endpoint,
          oauth2TokenUrl: d.token_endpoint,
          oauth2FederatedSignonJwkCertsUrl: d.jwks_uri,
        },
        // Google's own tokens name their issuer with or without the scheme.
        issuers: d.issuer === 'https://accounts.google.com' ? [d.issuer, 'accounts.google.com'] : [d.issuer],
      }),
    };
  }

  return {
    id: 'google',
    name: 'Google',
    async authorizationUrl({ state, nonce, codeChallenge }) {
      const { client: c } = await client().catch((err: unknown) => {
        throw new SignInFailure('provider_error', 'Google’s sign-in metadata could not be read.', err);
      });
      return c.generateAuthUrl({
        response_type: 'code',
        scope: OIDC_SCOPES,
        state,
        nonce,
        code_challenge: codeChallenge,
        code_challenge_method: CodeChallengeMethod.S256,
        prompt: 'select_account',
      });
    },

    async redeem({ code, codeVerifier, nonce }) {
      const { d, client: c } = await client().catch((err: unknown) => {
        throw new SignInFailure('provider_error', 'Google’s sign-in metadata could not be read.', err);
      });
      let idToken: string | null | undefined;
      try {
        idToken = (await c.getToken({ code, codeVerifier, redirect_uri: opts.redirectUri })).tokens.id_token;
      } catch (err) {
        throw redeemFailure(err);
      }
      if (!idToken) throw new SignInFailure('invalid_token', 'Google answered without an ID token.');
      let payload: Record<string, unknown>;
      try {
        const { header } = decodeJwt(idToken);
        if (header.alg !== 'RS256' || typeof header.kid !== 'string') throw new Error('not an RS256 token');
        const ticket = await c.verifySignedJwtWithCertsAsync(
          idToken,
          await keys.pems(header.kid),
          opts.clientId,
          c.issuers,
        );
        payload = (ticket.getPayload() ?? {}) as Record<string, unknown>;
        if (typeof payload.nonce !== 'string' || payload.nonce !== nonce)
          throw new Error('the nonce does not match');
        if (typeof payload.sub !== 'string' || !payload.sub) throw new Error('the token names no subject');
      } catch (err) {
        throw new SignInFailure('invalid_token', `Google’s ID token from ${d.issuer} did not verify.`, err);
      }
      return {
        subject: payload.sub,
        email: typeof payload.email === 'string' ? payload.email.trim().toLowerCase() : null,
        emailVerified: payload.email_verified === true || payload.email_verified === 'true',
        name: typeof payload.name === 'string' ? payload.name : null,
      };
    },
  };
}

/** The token endpoint refused the code (used, expired, not ours): the answer cannot be trusted. */
function redeemFailure(err: unknown): SignInFailure {
  const res = (err as { response?: { status?: number; data?: { error?: unknown } } }).response;
  if (res?.status && res.status < 500 && res.data?.error === 'invalid_grant') {
    return new SignInFailure('invalid_token', 'Google refused the sign-in code.', err);
  }
  return new SignInFailure('provider_error', 'Google could not redeem the sign-in code.', err);
}
