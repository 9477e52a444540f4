import type { AuthErrorCode, OAuthProviderId } from '../../contracts/auth';

/** Who the provider says signed in, after its ID token was verified. */
export interface VerifiedIdentity {
  /** The provider's stable key for the account (Google: `sub`; Microsoft: `tid:oid`). */
  subject: string;
  email: string | null;
  /** True only when the provider vouches for the email (never assumed). */
  emailVerified: boolean;
  name: string | null;
}

/** One OpenID Connect provider, as the sign-in flow uses it. */
export interface OidcProvider {
  id: OAuthProviderId;
  name: string;
  /** The provider's authorization URL for this flow (authorization code, PKCE S256). */
  authorizationUrl(flow: { state: string; nonce: string; codeChallenge: string }): Promise<string>;
  /** Redeems the code with the PKCE verifier and verifies the ID token (signature, iss, aud, exp, nonce). */
  redeem(flow: { code: string; codeVerifier: string; nonce: string }): Promise<VerifiedIdentity>;
}

/** A sign-in that failed for a reason the person is told as `/?authError=<code>`. */
export class SignInFailure extends Error {
  constructor(
    readonly code: AuthErrorCode,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'SignInFailure';
  }

  /**
   * What to log: the message and the cause's message, never the cause itself (a library's
   * error object may carry the request, with the client secret and the code, in its config).
   */
  get detail(): string {
    const cause = this.cause instanceof Error ? this.cause.message : undefined;
    return `${this.code}: ${this.message}${cause ? ` (${cause.slice(0, 500)})` : ''}`;
  }
}

/** OpenID scopes every provider is asked for. */
export const OIDC_SCOPES = ['openid', 'email', 'profile'];
