import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';

export interface JsonAnswer {
  status: number;
  headers: Record<string, string>;
  /** The parsed JSON body (undefined when it was empty or not JSON). */
  body: unknown;
}

export type JsonHttp = (
  url: string,
  init?: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string; timeoutMs?: number },
) => Promise<JsonAnswer>;

const MAX_ANSWER_BYTES = 1024 * 1024;

/**
 * The certificate authorities the sign-in providers' HTTPS is checked against: Node's own, plus
 * the file in `NODE_EXTRA_CA_CERTS`. Node reads that variable once, at start; reading it again
 * here lets a process that makes its own local CA after starting (the tests and the local host,
 * for their offline Microsoft provider, which msal-node insists be HTTPS) hand it over the same
 * way. Only these requests trust it, and only what Node would trust had it been set at start.
 */
export function signInCertificateAuthorities(
  extraCaFile = process.env.NODE_EXTRA_CA_CERTS,
): string[] | undefined {
  if (!extraCaFile) return undefined;
  try {
    return [...tls.rootCertificates, readFileSync(extraCaFile, 'utf8')];
  } catch {
    return undefined; // Node warns about an unreadable file at start; so do we, by trusting only its roots.
  }
}

/**
 * Small JSON requests to a provider (discovery, keys, tokens) over `node:http(s)`, with a
 * timeout and a size limit, trusting `ca` (default: Node's) for HTTPS.
 */
export function jsonHttp(ca = signInCertificateAuthorities()): JsonHttp {
  const agent = ca ? new https.Agent({ ca, keepAlive: true }) : undefined;
  return (url, init = {}) =>
    new Promise<JsonAnswer>((resolve, reject) => {
      const u = new URL(url);
      const lib = u.protocol === 'https:' ? https : u.protocol === 'http:' ? http : undefined;
      if (!lib) return reject(new Error(`unsupported URL scheme: ${u.protocol}`));
      const req = lib.request(
        u,
        {
          method: init.method ?? 'GET',
          headers: { accept: 'application/json', ...init.headers },
          agent: u.protocol === 'https:' ? agent : undefined,
          timeout: init.timeoutMs ?? 10_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_ANSWER_BYTES) req.destroy(new Error(`${url} answered more than 1 MB`));
            else chunks.push(c);
          });
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: unknown;
            try {
              body = text ? JSON.parse(text) : undefined;
            } catch {
              body = undefined;
            }
            const headers: Record<string, string> = {};
            for (const [k, v] of Object.entries(res.headers)) {
              if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
            }
            resolve({ status: res.statusCode ?? 0, headers, body });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${url} did not answer in time`)));
      req.on('error', reject);
      if (init.body !== undefined) req.write(init.body);
      req.end();
    });
}

/** Seconds from `Cache-Control: max-age=N`, else undefined. */
export function maxAgeSeconds(headers: Record<string, string>): number | undefined {
  const m = /max-age=(\d+)/i.exec(headers['cache-control'] ?? '');
  return m ? Number(m[1]) : undefined;
}
