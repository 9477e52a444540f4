import type { JsonHttp } from './net';

/** The fields of an OpenID Provider's metadata that the sign-in uses. */
export interface OidcMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
}

const TTL_MS = 3600_000;

/** `GET {url}`, the provider's `.well-known/openid-configuration`, cached for an hour. */
export function discovery(http: JsonHttp, url: string, now: () => number = Date.now) {
  let cached: { value: OidcMetadata; until: number } | undefined;
  let inflight: Promise<OidcMetadata> | undefined;
  async function load(): Promise<OidcMetadata> {
    const res = await http(url);
    const d = res.body as Partial<OidcMetadata> | undefined;
    const fields = ['issuer', 'authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const;
    if (res.status !== 200 || !d || fields.some((f) => typeof d[f] !== 'string')) {
      throw new Error(`${url} answered ${res.status} without the OpenID metadata`);
    }
    const value = d as OidcMetadata;
    cached = { value, until: now() + TTL_MS };
    return value;
  }
  return (): Promise<OidcMetadata> => {
    if (cached && now() < cached.until) return Promise.resolve(cached.value);
    inflight ??= load().finally(() => (inflight = undefined));
    return inflight;
  };
}
