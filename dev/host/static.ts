/**
 * Serves the built web app (web/dist) on the same origin as the API, like the production setup
 * where the SPA and /api share a host. Hashed files under /assets are immutable; index.html is
 * always revalidated so a rebuild shows up on refresh. Every response carries WEB_SECURITY_HEADERS.
 */
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

/** The one table of web file types: the local host serves with it, the deploy script uploads with it. */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.wasm': 'application/wasm',
  '.pdf': 'application/pdf',
  '.mp3': 'audio/mpeg',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
};

/**
 * The SPA's Content-Security-Policy. The Vite build has no inline script and no inline style
 * (one external stylesheet; Preact sets styles through the CSSOM, which CSP allows), so neither
 * needs 'unsafe-inline'. Images may be data:/blob: URLs (pasted or generated images).
 */
export const WEB_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "object-src 'none'",
].join('; ');

/**
 * Headers for every response of the web app (files, the index.html fallback, its 404s), here and
 * wherever else the SPA is served from (the CDN / Front Door rules in infra should use the same).
 * The API sets its own headers.
 */
export const WEB_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': WEB_CONTENT_SECURITY_POLICY,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'strict-origin-when-cross-origin',
});

/** Cache-Control for content-hashed files under `assets/`. */
export const ASSET_CACHE_CONTROL = 'public, max-age=31536000, immutable';
/** Cache-Control for index.html (and anything else not content-hashed): always revalidate. */
export const INDEX_CACHE_CONTROL = 'no-cache';

async function statFile(file: string): Promise<fs.Stats | undefined> {
  try {
    const st = await fs.promises.stat(file);
    return st.isFile() ? st : undefined;
  } catch {
    return undefined;
  }
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    ...WEB_SECURITY_HEADERS,
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': INDEX_CACHE_CONTROL,
  });
  res.end(text);
}

/**
 * @param rawPathname the request's percent-encoded pathname
 */
export async function serveStatic(
  req: IncomingMessage,
  res: ServerResponse,
  webDist: string,
  rawPathname: string,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    sendText(res, 405, 'Method Not Allowed');
    return;
  }
  const root = path.resolve(webDist);
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPathname);
  } catch {
    sendText(res, 400, 'Bad Request');
    return;
  }
  // Decoding can produce `..` or backslashes the URL parser never normalised (`..%2f`), so refuse
  // them outright, then still insist the resolved file is inside root.
  const normalized = decoded.replace(/\\/g, '/');
  const candidate = path.resolve(root, '.' + normalized);
  const escapes = candidate !== root && !candidate.startsWith(root + path.sep);
  if (normalized.includes('\0') || normalized.split('/').includes('..') || escapes) {
    sendText(res, 404, 'Not Found');
    return;
  }

  let file = candidate;
  let st = await statFile(file);
  if (!st && (await isDirectory(candidate))) {
    file = path.join(candidate, 'index.html');
    st = await statFile(file);
  }
  const lastSegment = decoded.split('/').pop() ?? '';
  if (!st && !path.extname(lastSegment)) {
    // SPA fallback: client-side routes like /c/123 get the app shell.
    file = path.join(root, 'index.html');
    st = await statFile(file);
    if (!st) {
      const hint = fs.existsSync(root)
        ? `${root}/index.html is missing`
        : `${root} does not exist; build the web app first`;
      sendText(res, 404, `Not Found (${hint})`);
      return;
    }
  }
  if (!st) {
    sendText(res, 404, 'Not Found');
    return;
  }

  const ext = path.extname(file).toLowerCase();
  // By the file served, not the URL: /assets/unknown-route falls back to index.html, which must not be cached.
  const isHashedAsset = path.relative(root, file).split(path.sep)[0] === 'assets';
  res.writeHead(200, {
    ...WEB_SECURITY_HEADERS,
    'content-type': CONTENT_TYPES[ext] ?? 'application/octet-stream',
    'content-length': st.size,
    'last-modified': st.mtime.toUTCString(),
    'cache-control': isHashedAsset ? ASSET_CACHE_CONTROL : INDEX_CACHE_CONTROL,
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  await pipeline(fs.createReadStream(file), res);
}

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await fs.promises.stat(p)).isDirectory();
  } catch {
    return false;
  }
}
