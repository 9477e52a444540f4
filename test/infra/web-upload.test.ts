import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type AzuriteHandle } from '../../dev/host/azurite';
import { serveStatic } from '../../dev/host/static';
import { deploy, parseArgs } from '../../scripts/deploy';
import {
  KNOWN_EXTENSIONS,
  listWebFiles,
  uploadWebApp,
  webFileHeaders,
  WEB_CONTAINER,
} from '../../scripts/web-upload';

/** A small build as Vite lays it out, with each kind of file the SPA ships. */
function fakeBuild(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gm-web-'));
  const dist = path.join(root, 'web', 'dist');
  const files: Record<string, string> = {
    'index.html': '<!doctype html><script type="module" src="/assets/index-3f2a9c.js"></script>',
    'assets/index-3f2a9c.js': 'console.log("app")',
    'assets/index-77aa01.css': 'body{margin:0}',
    'assets/inter-latin-400.woff2': 'wOF2',
    'favicon.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>',
    'manifest.webmanifest': '{"name":"GloriaMundo"}',
    'sw.js': 'self.addEventListener("fetch", () => {})',
    '.vite/manifest.json': '{}',
  };
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dist, name)), { recursive: true });
    fs.writeFileSync(path.join(dist, name), text);
  }
  return root;
}

describe('content types and cache headers of web/dist files', () => {
  it('serves index.html revalidated and hashed assets immutable', () => {
    expect(webFileHeaders('index.html')).toEqual({
      name: 'index.html',
      contentType: 'text/html; charset=utf-8',
      cacheControl: 'no-cache',
    });
    expect(webFileHeaders('assets/index-3f2a9c.js')).toEqual({
      name: 'assets/index-3f2a9c.js',
      contentType: 'text/javascript; charset=utf-8',
      cacheControl: 'public, max-age=31536000, immutable',
    });
  });

  it('names the types browsers need for styles, icons, the manifest and fonts', () => {
    expect(webFileHeaders('assets/index-77aa01.css').contentType).toBe('text/css; charset=utf-8');
    expect(webFileHeaders('favicon.svg').contentType).toBe('image/svg+xml');
    expect(webFileHeaders('manifest.webmanifest').contentType).toBe(
      'application/manifest+json; charset=utf-8',
    );
    expect(webFileHeaders('assets/inter-latin-400.woff2').contentType).toBe('font/woff2');
    expect(webFileHeaders('assets/LOGO.PNG').contentType).toBe('image/png');
    expect(webFileHeaders('notes.unknownext').contentType).toBe('application/octet-stream');
  });

  it('revalidates files outside assets/ even when they are scripts (the service worker)', () => {
    expect(webFileHeaders('sw.js').cacheControl).toBe('no-cache');
    expect(webFileHeaders('manifest.webmanifest').cacheControl).toBe('no-cache');
  });

  it('gives every extension the type and cache header the local host serves it with', async () => {
    const dist = fs.mkdtempSync(path.join(os.tmpdir(), 'gm-types-'));
    fs.writeFileSync(path.join(dist, 'index.html'), '<!doctype html>');
    fs.mkdirSync(path.join(dist, 'assets'));
    for (const ext of KNOWN_EXTENSIONS) {
      fs.writeFileSync(path.join(dist, `file${ext}`), 'x');
      fs.writeFileSync(path.join(dist, 'assets', `file${ext}`), 'x');
    }
    const server = http.createServer((req, res) => {
      void serveStatic(req, res, dist, new URL(req.url ?? '/', 'http://x').pathname);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      for (const name of KNOWN_EXTENSIONS.flatMap((ext) => [`file${ext}`, `assets/file${ext}`])) {
        const res = await fetch(`${base}/${name}`);
        await res.arrayBuffer();
        const ours = webFileHeaders(name);
        expect({
          name,
          type: res.headers.get('content-type'),
          cache: res.headers.get('cache-control'),
        }).toEqual({
          name,
          type: ours.contentType,
          cache: ours.cacheControl,
        });
      }
    } finally {
      server.close();
    }
  });

  it('uploads assets before index.html and leaves out build bookkeeping', () => {
    const names = listWebFiles(path.join(fakeBuild(), 'web', 'dist')).map((f) => f.name);
    expect(names.at(-1)).toBe('index.html');
    expect(names.indexOf('assets/index-3f2a9c.js')).toBeLessThan(names.indexOf('favicon.svg'));
    expect(names).not.toContain('.vite/manifest.json');
    expect(names).toHaveLength(7);
  });

  it('refuses a dist without index.html, saying to build first', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'gm-empty-'));
    expect(() => listWebFiles(empty)).toThrow(/build the web app first/);
  });
});

describe('upload to $web (Azurite)', () => {
  let azurite: AzuriteHandle;
  beforeAll(async () => {
    azurite = await startAzurite({ inMemory: true });
  });
  afterAll(async () => {
    await azurite?.stop();
  });

  it('stores each file with its content type and cache header, readable back', async () => {
    const root = fakeBuild();
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
      'web-upload-test',
    );
    await uploadWebApp(container, path.join(root, 'web', 'dist'));
    const index = await container.getBlobClient('index.html').getProperties();
    expect(index.contentType).toBe('text/html; charset=utf-8');
    expect(index.cacheControl).toBe('no-cache');
    const js = container.getBlobClient('assets/index-3f2a9c.js');
    expect((await js.getProperties()).cacheControl).toBe('public, max-age=31536000, immutable');
    expect((await js.downloadToBuffer()).toString()).toBe('console.log("app")');
    expect((await container.getBlobClient('assets/inter-latin-400.woff2').getProperties()).contentType).toBe(
      'font/woff2',
    );
    expect((await container.getBlobClient('manifest.webmanifest').getProperties()).contentType).toBe(
      'application/manifest+json; charset=utf-8',
    );
    expect(await container.getBlobClient('.vite/manifest.json').exists()).toBe(false);
  });

  it('deploy --dry-run uploads the built SPA to $web and touches nothing in Azure', async () => {
    const root = fakeBuild();
    const lines: string[] = [];
    const report = await deploy({
      root,
      ...parseArgs(['--dry-run', '--steps', 'web']),
      env: { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString },
      log: (line) => lines.push(line),
      credential: {
        getToken: () => Promise.reject(new Error('a dry run must not ask for an Azure token')),
      },
    });
    expect(report.web?.uploaded).toHaveLength(7);
    const web = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
      WEB_CONTAINER,
    );
    const css = await web.getBlobClient('assets/index-77aa01.css').getProperties();
    expect([css.contentType, css.cacheControl]).toEqual([
      'text/css; charset=utf-8',
      'public, max-age=31536000, immutable',
    ]);
    const sw = await web.getBlobClient('sw.js').getProperties();
    expect([sw.contentType, sw.cacheControl]).toEqual(['text/javascript; charset=utf-8', 'no-cache']);
    expect(lines.join('\n')).toMatch(/index\.html {2}text\/html; charset=utf-8 {2}no-cache/);
  });

  it('a dry run without a storage connection names what is missing', async () => {
    await expect(
      deploy({ root: fakeBuild(), steps: ['web'], dryRun: true, env: {}, log: () => undefined }),
    ).rejects.toThrow(/AZURE_STORAGE_CONNECTION_STRING/);
  });
});

describe('deploy arguments', () => {
  it('runs every step in deploy order by default, and the named ones in that order', () => {
    expect(parseArgs([]).steps).toEqual(['build', 'package', 'publish', 'web', 'triggers']);
    expect(parseArgs(['--steps', 'triggers,web']).steps).toEqual(['web', 'triggers']);
    expect(parseArgs(['--skip-build']).steps[0]).toBe('package');
  });

  it('refuses an unknown step or flag with the usage', () => {
    expect(() => parseArgs(['--steps', 'web,upload'])).toThrow(/--steps takes/);
    expect(() => parseArgs(['--force'])).toThrow(/Usage: deploy/);
  });
});
