/**
 * Uploads the built SPA (web/dist) to the storage account's static website ($web) with the
 * Content-Type and Cache-Control each file needs, the same the local host serves it with
 * (dev/host/static.ts): content-hashed files under assets/ immutable, everything else revalidated.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import { ASSET_CACHE_CONTROL, CONTENT_TYPES, INDEX_CACHE_CONTROL } from '../dev/host/static';

export const WEB_CONTAINER = '$web';

/** The extensions with a known type (the tests compare each with what the local host serves). */
export const KNOWN_EXTENSIONS = Object.keys(CONTENT_TYPES);

export interface WebFile {
  /** Path inside web/dist with forward slashes, e.g. `assets/index-3f2a.js`: also the blob name. */
  name: string;
  contentType: string;
  cacheControl: string;
}

/** How one file of the build is served. */
export function webFileHeaders(name: string): WebFile {
  const ext = path.posix.extname(name).toLowerCase();
  const hashed = name.split('/')[0] === 'assets';
  return {
    name,
    contentType: CONTENT_TYPES[ext] ?? 'application/octet-stream',
    cacheControl: hashed ? ASSET_CACHE_CONTROL : INDEX_CACHE_CONTROL,
  };
}

/**
 * Every file of the build, assets first and index.html last: a browser that loads the new
 * index.html mid-upload must find every chunk it names. Dot-directories (Vite's .vite/manifest.json,
 * read by the size check) are build bookkeeping, not part of the site.
 */
export function listWebFiles(distDir: string): WebFile[] {
  const names: string[] = [];
  const walk = (dir: string, prefix: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(path.join(dir, entry.name), rel);
      else if (entry.isFile()) names.push(rel);
    }
  };
  walk(distDir, '');
  if (!names.includes('index.html')) {
    throw new Error(`${distDir} has no index.html: build the web app first (npm run build:web)`);
  }
  const rank = (n: string) => (n === 'index.html' ? 2 : n.startsWith('assets/') ? 0 : 1);
  return names.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)).map(webFileHeaders);
}

/**
 * Turns on the static website: index.html for `/`, and for the 404 document too, so a client-side
 * route reached without Front Door's rewrite still gets the app (with a 404 status).
 */
export async function enableStaticWebsite(service: BlobServiceClient): Promise<void> {
  await service.setProperties({
    staticWebsite: { enabled: true, indexDocument: 'index.html', errorDocument404Path: 'index.html' },
  });
}

export interface UploadResult {
  uploaded: WebFile[];
}

/**
 * Uploads every file, overwriting blobs of the same name. Older hashed assets stay: a page opened
 * before this deploy still loads the chunks its index.html named.
 */
export async function uploadWebApp(
  container: ContainerClient,
  distDir: string,
  log: (line: string) => void = () => undefined,
): Promise<UploadResult> {
  await container.createIfNotExists();
  const files = listWebFiles(distDir);
  for (const file of files) {
    await container.getBlockBlobClient(file.name).uploadFile(path.join(distDir, ...file.name.split('/')), {
      blobHTTPHeaders: { blobContentType: file.contentType, blobCacheControl: file.cacheControl },
    });
    log(`  ${file.name}  ${file.contentType}  ${file.cacheControl}`);
  }
  return { uploaded: files };
}
