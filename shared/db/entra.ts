import type { AccessToken, TokenCredential } from '@azure/identity';
import { parseIntoClientConfig } from 'pg-connection-string';
import type pg from 'pg';

/** The audience Azure Database for PostgreSQL accepts Microsoft Entra tokens for. */
export const POSTGRES_ENTRA_SCOPE = 'https://ossrdbms-aad.database.windows.net/.default';

/** A token this close to its end is not handed to a new connection (the server checks it at sign-in only). */
export const TOKEN_REFRESH_MARGIN_MS = 5 * 60_000;

/**
 * The password of each new connection: an Entra token for the app's identity. Tokens last about
 * an hour; one is reused until shortly before it ends, and concurrent connections share one
 * request, so a burst of new connections costs one call to the identity endpoint. Open
 * connections are not affected by the token ending.
 */
export function entraPassword(
  credential: TokenCredential,
  now: () => number = Date.now,
): () => Promise<string> {
  let cached: Promise<AccessToken> | undefined;
  let expiresAt = 0;
  return async () => {
    if (!cached || expiresAt - now() < TOKEN_REFRESH_MARGIN_MS) {
      const request = credential.getToken(POSTGRES_ENTRA_SCOPE).then((token) => {
        if (!token) throw new Error(`No Microsoft Entra token for ${POSTGRES_ENTRA_SCOPE}`);
        expiresAt = token.expiresOnTimestamp;
        return token;
      });
      cached = request;
      // Mark it fresh while it is asked for, so concurrent connections wait on this one request.
      expiresAt = Number.POSITIVE_INFINITY;
      request.catch(() => {
        if (cached === request) {
          cached = undefined;
          expiresAt = 0;
        }
      });
    }
    return (await cached).token;
  };
}

/**
 * The pool's connection settings from a URL without a password, with `password` asked per
 * connection. pg lets a connection string's (empty) password win over the `password` option, so
 * the URL is parsed here, with pg's own parser, instead of being handed over as a string.
 */
export function tokenConnection(databaseUrl: string, password: () => Promise<string>): pg.ClientConfig {
  const { password: _ignored, ...rest } = parseIntoClientConfig(databaseUrl);
  return { ...rest, password };
}
