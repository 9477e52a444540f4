import fs from 'node:fs';
import { builtinModules } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parseHostJson } from '../../dev/host/host-config';
import {
  DTS_CONNECTION_SETTING,
  PACKAGE_PATHS,
  packagedHostJson,
  parseDurableBackend,
  stagePackage,
  TASK_HUB_SETTING,
  zipDirectory,
} from '../../scripts/function-package';

const repo = path.resolve(__dirname, '..', '..');
const readJson = (file: string): any => JSON.parse(fs.readFileSync(file, 'utf8'));

/** A repository after `npm run build`, as far as packaging looks at it. */
function fakeRepo(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gm-pkg-'));
  const files: Record<string, string> = {
    'package.json': JSON.stringify({ name: 'app', main: 'dist/functions/index.js', dependencies: {} }),
    'package-lock.json': '{"lockfileVersion":3}',
    'host.json': fs.readFileSync(path.join(repo, 'host.json'), 'utf8'),
    'dist/functions/index.js': 'require("./health-get")',
    'dist/functions/health-get.js': 'module.exports = {}',
    'dist/functions/health-get.js.map': '{}',
    'dist/functions/http.test.js': 'test()',
    'dist/shared/config.js': 'module.exports = {}',
    'dist/shared/models/openrouter-models.json': '[]',
    'dist/dev/host/main.js': 'local host',
    'dist/bench/run.js': 'bench',
    'functions/index.ts': 'source',
    'local.settings.json': '{"Values":{"OPENROUTER_API_KEY":"sk-or-local"}}',
  };
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), text);
  }
  return root;
}

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

describe('the function package', () => {
  it('holds the compiled app, package.json and host.json, and nothing local', () => {
    const root = fakeRepo();
    const stage = path.join(root, 'dist', 'deploy', 'package');
    stagePackage(root, stage, { backend: 'storage', install: false });
    expect(filesUnder(stage)).toEqual([
      'dist/functions/health-get.js',
      'dist/functions/health-get.js.map',
      'dist/functions/index.js',
      'dist/shared/config.js',
      'dist/shared/models/openrouter-models.json',
      'host.json',
      'package-lock.json',
      'package.json',
    ]);
  });

  it('refuses to package before the app is built', () => {
    const root = fakeRepo();
    fs.rmSync(path.join(root, 'dist', 'functions', 'index.js'));
    expect(() => stagePackage(root, path.join(root, 'stage'), { backend: 'dts', install: false })).toThrow(
      /build the app first/,
    );
  });

  it('ships a host.json naming the Durable Task Scheduler when it is the backend', () => {
    const root = fakeRepo();
    const stage = path.join(root, 'stage');
    stagePackage(root, stage, { backend: 'dts', install: false });
    const host = readJson(path.join(stage, 'host.json'));
    expect(host.extensions.durableTask).toEqual({
      hubName: '%TASKHUB_NAME%',
      storageProvider: {
        type: 'azureManaged',
        connectionStringName: 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING',
      },
    });
    // The rest of host.json ships as written: the route prefix and queue retries stay.
    expect(host.extensions.http.routePrefix).toBe('api');
    expect(host.extensions.queues.maxDequeueCount).toBe(5);
    // azureManaged needs extension bundle 4.32 or later.
    expect(host.extensionBundle.version).toMatch(/^\[4\.(3[2-9]|[4-9]\d)\.\d+, 5\.0\.0\)$/);
  });

  it('keeps the Azure Storage backend of the repository host.json, which the local host runs', () => {
    const hostJson = readJson(path.join(repo, 'host.json'));
    expect(hostJson.extensions.durableTask.storageProvider.type).toBe('AzureStorage');
    expect(packagedHostJson(hostJson, 'storage')).toEqual(hostJson);
    expect(parseHostJson(hostJson).http.routePrefix).toBe('api');
    expect(() => parseHostJson(packagedHostJson(hostJson, 'dts'))).toThrow(/TASKHUB_NAME/);
    process.env[TASK_HUB_SETTING] = 'gloriamundo';
    try {
      expect(parseHostJson(packagedHostJson(hostJson, 'dts')).durable.hubName).toBe('gloriamundo');
    } finally {
      delete process.env[TASK_HUB_SETTING];
    }
    expect(DTS_CONNECTION_SETTING).toBe('DURABLE_TASK_SCHEDULER_CONNECTION_STRING');
  });

  it('takes dts unless told storage, and refuses anything else', () => {
    expect(parseDurableBackend(undefined)).toBe('dts');
    expect(parseDurableBackend('storage')).toBe('storage');
    expect(() => parseDurableBackend('netherite')).toThrow(/dts or storage/);
  });

  it('zips every file with its bytes, leaving out node_modules/.bin links', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gm-zip-'));
    const content: Record<string, Buffer> = {
      'package.json': Buffer.from('{"main":"dist/functions/index.js"}'),
      'dist/functions/index.js': Buffer.from('x'.repeat(10_000)),
      'node_modules/pg/package.json': Buffer.from('{"name":"pg"}'),
      'node_modules/@node-rs/argon2-linux-x64-gnu/argon2.node': Buffer.from([0, 1, 2, 255, 254]),
    };
    for (const [name, bytes] of Object.entries(content)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), bytes);
    }
    fs.mkdirSync(path.join(dir, 'node_modules', '.bin'));
    fs.writeFileSync(path.join(dir, 'node_modules', '.bin', 'tsc'), '#!/bin/sh');
    const zipPath = path.join(dir, '..', `${path.basename(dir)}.zip`);
    const result = await zipDirectory(dir, zipPath);
    const entries = unzipSync(fs.readFileSync(zipPath));
    expect(Object.keys(entries).sort()).toEqual(Object.keys(content).sort());
    for (const [name, bytes] of Object.entries(content)) expect(Buffer.from(entries[name]!)).toEqual(bytes);
    expect(result).toEqual({ files: 4, bytes: fs.statSync(zipPath).size });
  });
});

/**
 * Every module the entry file reaches, by following its imports: relative ones must stay inside
 * what the package ships, and packages must be production dependencies (the package installs with
 * --omit=dev, so a devDependency there fails only in Azure).
 */
function reachableImports(entry: string): { files: string[]; packages: Map<string, string> } {
  const files: string[] = [];
  const packages = new Map<string, string>();
  const queue = [entry];
  const seen = new Set<string>();
  while (queue.length) {
    const file = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    files.push(file);
    const source = fs.readFileSync(file, 'utf8');
    const specifiers = [
      ...source.matchAll(/^\s*import\s+(?!type\b)(?:[^'";]*?\s+from\s+)?'([^']+)'/gm),
      ...source.matchAll(/^\s*export\s+(?!type\b)[^'";]*?\s+from\s+'([^']+)'/gm),
      ...source.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
      ...source.matchAll(/\brequire\(\s*'([^']+)'\s*\)/g),
    ].map((m) => m[1]!);
    for (const spec of specifiers) {
      if (spec.startsWith('.')) {
        const base = path.resolve(path.dirname(file), spec.replace(/\.js$/, ''));
        const resolved = [`${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts'), base].find(
          (c) => fs.existsSync(c) && fs.statSync(c).isFile(),
        );
        if (!resolved) throw new Error(`${file}: cannot resolve ${spec}`);
        if (resolved.endsWith('.ts')) queue.push(resolved);
        else files.push(resolved);
      } else if (!spec.startsWith('node:') && !builtinModules.includes(spec.split('/')[0]!)) {
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        packages.set(name, file);
      }
    }
  }
  return { files, packages };
}

describe('what the app needs at run time is in the package', () => {
  const pkg = readJson(path.join(repo, 'package.json'));
  const { files, packages } = reachableImports(path.join(repo, 'functions', 'index.ts'));

  it('package.json main is inside the packaged build', () => {
    expect(PACKAGE_PATHS.some((p) => pkg.main.startsWith(`${p}/`))).toBe(true);
    expect(pkg.main).toBe('dist/functions/index.js');
  });

  it('reaches no source outside functions/ and shared/ (dev/ and test/ are not shipped)', () => {
    const outside = files
      .map((f) => path.relative(repo, f).split(path.sep).join('/'))
      .filter((f) => !f.startsWith('functions/') && !f.startsWith('shared/'));
    expect(outside).toEqual([]);
    expect(files.length).toBeGreaterThan(50);
  });

  it('imports only production dependencies', () => {
    const notProduction = [...packages.entries()]
      .filter(([name]) => !(name in (pkg.dependencies ?? {})))
      .map(([name, file]) => `${name} (imported by ${path.relative(repo, file)})`);
    expect(notProduction).toEqual([]);
    expect(packages.has('@azure/functions')).toBe(true);
  });
});
