import {
  ConfidentialClientApplication,
  LogLevel,
  type INetworkModule,
  type NetworkRequestOptions,
  type NetworkResponse,
} from '@azure/msal-node';
import { discovery } from './discovery';
import { keySet, verifyIdToken, type Claims } from './keys';
import type { JsonHttp } from './net';
import { OIDC_SCOPES, SignInFailure, type OidcProvider, type VerifiedIdentity } from './types';

/** msal-node's requests go through ours, so they trust the same authorities (see net.ts). */
function networkModule(http: JsonHttp): INetworkModule {
  const send = async <T>(
    method: 'GET' | 'POST',
    url: string,
    options?: NetworkRequestOptions,
    timeout?: number,
  ) => {
    const res = await http(url, {
      method,
      headers: options?.headers,
      body: options?.body,
      timeoutMs: timeout,
    });
    return {
      status: res.status,
      headers: res.headers,
      body: (res.body ?? {}) as T,
    } satisfies NetworkResponse<T>;
  };
  return {
    sendGetRequestAsync: (url, options, timeout) => send('GET', url, options, timeout),
    sendPostRequestAsync: (url, options) => send('POST', url, options),
  };
}

/**
 * Microsoft sign-in through @azure/msal-node: a ConfidentialClientApplication builds the
 * authorization URL (PKCE S256, nonce) and redeems the code (it checks the nonce). msal does not
 * verify the ID token's signature, so it is verified here against the keys in the authority's
 * metadata, with the issuer for the token's own tenant. The account is keyed by (tid, oid).
 */
export function microsoftProvider(opts: {
  clientId: string;
  clientSecret: string | undefined;
  authority: string;
  redirectUri: string;
  http: JsonHttp;
}): OidcProvider {
  const authority = opts.authority.replace(/\/+$/, '');
  const app = new ConfidentialClientApplication({
    auth: {
      clientId: opts.clientId,
      clientSecret: opts.clientSecret,
      authority,
      // The configured authority is trusted as it is: no instance discovery at Microsoft (which
      // is what lets an offline authority stand in).
      knownAuthorities: [new URL(authority).host],
    },
    system: {
      networkClient: networkModule(opts.http),
      loggerOptions: { loggerCallback: () => undefined, piiLoggingEnabled: false, logLevel: LogLevel.Error },
    },
  });
  // The same document msal reads: `{authority}/v2.0/.well-known/openid-configuration`.
  const metadata = discovery(opts.http, `${authority}/v2.0/.well-known/openid-configuration`);
  const keys = keySet(opts.http, async () => (await metadata()).jwks_uri);

  return {
    id: 'microsoft',
    name: 'Microsoft',
    async authorizationUrl({ state, nonce, codeChallenge }) {
      try {
        return await app.getAuthCodeUrl({
          scopes: OIDC_SCOPES,
          redirectUri: opts.redirectUri,
          responseMode: 'query',
          state,
          nonce,
          codeChallenge,
          codeChallengeMethod: 'S256',
          prompt: 'select_account',
        });
      } catch (err) {
        throw new SignInFailure('provider_error', 'Microsoft’s sign-in metadata could not be read.', err);
      }
    },

    async redeem({ code, codeVerifier, nonce }) {
      let idToken: string;
      try {
        const result = await app.acquireTokenByCode({
          code,
          codeVerifier,
          nonce,
          scopes: OIDC_SCOPES,
          redirectUri: opts.redirectUri,
        });
        idToken = result.idToken;
        // We keep no Microsoft tokens: the sign-in is all we wanted, and msal's cache would grow.
        if (result.account) await app.getTokenCache().removeAccount(result.account);
      } catch (err) {
        throw redeemFailure(err);
      }
      if (!idToken) throw new SignInFailure('invalid_token', 'Microsoft answered without an ID token.');
      let claims: Claims;
      try {
        const d = await metadata();
        claims = await verifyIdToken(idToken, {
          keys,
          // `/common` publishes `https://…/{tenantid}/v2.0`: the token must name its own tenant.
          issuer: (c) => d.issuer.replace('{tenantid}', typeof c.tid === 'string' ? c.tid : '{tenantid}'),
          audience: opts.clientId,
          nonce,
          nowSeconds: Math.floor(Date.now() / 1000),
        });
      } catch (err) {
        throw new SignInFailure('invalid_token', 'Microsoft’s ID token did not verify.', err);
      }
      return identityOf(claims);
    },
  };
}

function identityOf(claims: Claims): VerifiedIdentity {
  const { tid, oid } = claims;
  if (typeof tid !== 'string' || !tid || typeof oid !== 'string' || !oid) {
    throw new SignInFailure('invalid_token', 'Microsoft’s ID token names no tenant and object id.');
  }
  const email = typeof claims.email === 'string' && claims.email ? claims.email.trim().toLowerCase() : null;
  return {
    subject: `${tid}:${oid}`,
    email,
    // Microsoft's `email` is whatever the tenant typed in: it counts as verified only when the
    // token says so (`xms_edov`, the optional claim "email domain owner verified", or
    // `email_verified` where a tenant sends it).
    emailVerified:
      email !== null &&
      (claims.xms_edov === true || claims.xms_edov === '1' || claims.email_verified === true),
    name: typeof claims.name === 'string' ? claims.name : null,
  };
}

function redeemFailure(err: unknown): SignInFailure {
  const code = (err as { errorCode?: unknown }).errorCode;
  if (code === 'invalid_grant' || code === 'nonce_mismatch') {
    return new SignInFailure(
      'invalid_token',
      'Microsoft refused the sign-in code or answered for another sign-in.',
      err,
    );
  }
  return new SignInFailure('provider_error', 'Microsoft could not redeem the sign-in code.', err);
}
