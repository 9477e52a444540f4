import { createPublicKey, createVerify, type JsonWebKey as NodeJwk, type KeyObject } from 'node:crypto';
import { maxAgeSeconds, type JsonHttp } from './net';

interface Jwk extends NodeJwk {
  kid?: string;
  use?: string;
  alg?: string;
}

const DEFAULT_TTL_MS = 3600_000;
/** An unknown `kid` fetches the set again (a rotation), but not more often than this. */
const REFETCH_AFTER_MS = 60_000;

/** A provider's signing keys (its `jwks_uri`), cached as its Cache-Control says. */
export function keySet(http: JsonHttp, url: () => Promise<string>, now: () => number = Date.now) {
  let cached: { keys: Map<string, KeyObject>; fetchedAt: number; expiresAt: number } | undefined;
  let inflight: Promise<Map<string, KeyObject>> | undefined;

  async function load(): Promise<Map<string, KeyObject>> {
    const at = now();
    const res = await http(await url());
    const list = (res.body as { keys?: unknown } | undefined)?.keys;
    if (res.status !== 200 || !Array.isArray(list)) throw new Error(`the key set answered ${res.status}`);
    const keys = new Map<string, KeyObject>();
    for (const jwk of list as Jwk[]) {
      if (!jwk || typeof jwk.kid !== 'string' || jwk.kty !== 'RSA' || (jwk.use && jwk.use !== 'sig'))
        continue;
      try {
        keys.set(jwk.kid, createPublicKey({ key: jwk, format: 'jwk' }));
      } catch {
        // A key we cannot read verifies nothing.
      }
    }
    const ttl = maxAgeSeconds(res.headers);
    cached = { keys, fetchedAt: at, expiresAt: at + (ttl !== undefined ? ttl * 1000 : DEFAULT_TTL_MS) };
    return keys;
  }

  const fetchOnce = () => {
    inflight ??= load().finally(() => (inflight = undefined));
    return inflight;
  };

  return {
    /** The key named `kid`, fetching the set when it is stale or does not know the kid yet. */
    async find(kid: string): Promise<KeyObject | undefined> {
      const t = now();
      let keys = cached && t < cached.expiresAt ? cached.keys : await fetchOnce();
      if (!keys.has(kid) && cached && t - cached.fetchedAt > REFETCH_AFTER_MS) keys = await fetchOnce();
      return keys.get(kid);
    },
    /** Every key, as PEM by kid (the form google-auth-library verifies with). */
    async pems(kid: string): Promise<Record<string, string>> {
      await this.find(kid);
      const out: Record<string, string> = {};
      for (const [k, key] of cached?.keys ?? [])
        out[k] = key.export({ type: 'spki', format: 'pem' }).toString();
      return out;
    },
  };
}

export type KeySet = ReturnType<typeof keySet>;

export type Claims = Record<string, unknown>;

const b64json = (part: string): unknown => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

/** The header and claims of a JWT, unverified (to learn `kid` and `tid` before verifying). */
export function decodeJwt(token: string): { header: Claims; claims: Claims } {
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error('not a JWT');
  const header = b64json(parts[0]!);
  const claims = b64json(parts[1]!);
  if (!header || typeof header !== 'object' || !claims || typeof claims !== 'object')
    throw new Error('not a JWT');
  return { header: header as Claims, claims: claims as Claims };
}

const CLOCK_SKEW_S = 300;

/**
 * Verifies an RS256 ID token (OpenID Connect Core 3.1.3.7): the signature with the provider's
 * key named by `kid`, then `iss`, `aud` (and `azp` when there are several audiences), `exp`,
 * `nbf`, `iat` and `nonce`. Returns its claims; throws saying what failed.
 */
export async function verifyIdToken(
  token: string,
  opts: {
    keys: KeySet;
    /** The issuer this token must name; may depend on its claims (Microsoft's `{tenantid}`). */
    issuer: (claims: Claims) => string;
    audience: string;
    nonce: string;
    nowSeconds: number;
  },
): Promise<Claims> {
  const { header, claims } = decodeJwt(token);
  if (header.alg !== 'RS256') throw new Error(`unexpected signing algorithm ${String(header.alg)}`);
  if (typeof header.kid !== 'string') throw new Error('the token names no key');
  const key = await opts.keys.find(header.kid);
  if (!key) throw new Error(`no key ${header.kid} in the provider's key set`);
  const [h, p, sig] = token.split('.') as [string, string, string];
  const ok = createVerify('RSA-SHA256').update(`${h}.${p}`).verify(key, Buffer.from(sig, 'base64url'));
  if (!ok) throw new Error('the signature does not verify');
  if (claims.iss !== opts.issuer(claims)) throw new Error(`unexpected issuer ${String(claims.iss)}`);
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!aud.includes(opts.audience)) throw new Error('the token is for another audience');
  if (aud.length > 1 && claims.azp !== opts.audience)
    throw new Error('the token was issued to another party');
  const now = opts.nowSeconds;
  if (typeof claims.exp !== 'number' || now > claims.exp + CLOCK_SKEW_S)
    throw new Error('the token has expired');
  if (typeof claims.nbf === 'number' && now < claims.nbf - CLOCK_SKEW_S)
    throw new Error('the token is not valid yet');
  if (typeof claims.iat !== 'number' || claims.iat > now + CLOCK_SKEW_S)
    throw new Error('the token has no valid iat');
  if (typeof claims.nonce !== 'string' || claims.nonce !== opts.nonce)
    throw new Error('the nonce does not match');
  return claims;
}
