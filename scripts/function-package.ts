/**
 * The function package Flex Consumption runs: the compiled app (dist/functions, dist/shared),
 * package.json (whose `main` is the entry), host.json for the chosen Durable backend, and the
 * production dependencies installed from the committed lockfile for Linux x64. Built locally and
 * published as one zip (no remote build), so what runs in Azure is exactly what was tested.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Zip, ZipDeflate } from 'fflate';

/** What the package holds from the repository, relative to its root. */
export const PACKAGE_PATHS = ['package.json', 'package-lock.json', 'dist/functions', 'dist/shared'] as const;

export type DurableBackend = 'dts' | 'storage';

export const DTS_CONNECTION_SETTING = 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING';
export const TASK_HUB_SETTING = 'TASKHUB_NAME';

export function parseDurableBackend(value: string | undefined): DurableBackend {
  if (value === undefined || value === '' || value === 'dts') return 'dts';
  if (value === 'storage') return 'storage';
  throw new Error(`DURABLE_BACKEND must be dts or storage, not "${value}"`);
}

/**
 * host.json as it ships. The repository's names the Azure Storage backend (what `func start`
 * and the local host run); the Durable Task Scheduler is named here, reading the two app settings
 * infra/modules/function-app.bicep sets when it provisions one.
 */
export function packagedHostJson(hostJson: unknown, backend: DurableBackend): Record<string, unknown> {
  const host = structuredClone(hostJson) as Record<string, unknown>;
  if (backend === 'storage') return host;
  const extensions = (host.extensions ?? {}) as Record<string, unknown>;
  const durableTask = (extensions.durableTask ?? {}) as Record<string, unknown>;
  host.extensions = {
    ...extensions,
    durableTask: {
      ...durableTask,
      hubName: `%${TASK_HUB_SETTING}%`,
      storageProvider: { type: 'azureManaged', connectionStringName: DTS_CONNECTION_SETTING },
    },
  };
  return host;
}

/** Source maps stay (stack traces in Application Insights); tests and type declarations do not. */
const shipped = (rel: string) => !/\.test\.js(\.map)?$/.test(rel) && !rel.endsWith('.d.ts');

function copyTree(from: string, to: string): void {
  const st = fs.statSync(from);
  if (st.isDirectory()) {
    fs.mkdirSync(to, { recursive: true });
    for (const entry of fs.readdirSync(from)) copyTree(path.join(from, entry), path.join(to, entry));
  } else if (st.isFile() && shipped(from)) {
    fs.copyFileSync(from, to);
  }
}

export interface StageOptions {
  backend: DurableBackend;
  /** Runs `npm ci --omit=dev` for Linux x64 in the stage (off in tests: no registry needed). */
  install: boolean;
  log?: (line: string) => void;
}

/** Lays the package out in `stageDir` (emptied first). */
export function stagePackage(root: string, stageDir: string, opts: StageOptions): void {
  const entry = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { main?: string };
  if (!entry.main || !fs.existsSync(path.join(root, entry.main))) {
    throw new Error(`${entry.main ?? 'package.json main'} is missing: build the app first (npm run build)`);
  }
  fs.rmSync(stageDir, { recursive: true, force: true });
  fs.mkdirSync(stageDir, { recursive: true });
  for (const rel of PACKAGE_PATHS) copyTree(path.join(root, rel), path.join(stageDir, rel));
  const hostJson: unknown = JSON.parse(fs.readFileSync(path.join(root, 'host.json'), 'utf8'));
  fs.writeFileSync(
    path.join(stageDir, 'host.json'),
    `${JSON.stringify(packagedHostJson(hostJson, opts.backend), null, 2)}\n`,
  );
  if (!opts.install) return;
  opts.log?.('  npm ci --omit=dev (linux x64, glibc)');
  // Native dependencies (@node-rs/argon2) come as per-platform packages: pick Azure's, whatever
  // machine deploys. --ignore-scripts is not used: no production dependency needs a build step,
  // and one that starts needing it should fail here rather than in Azure.
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(
    npm,
    ['ci', '--omit=dev', '--no-audit', '--no-fund', '--os=linux', '--cpu=x64', '--libc=glibc'],
    { cwd: stageDir, stdio: 'inherit', shell: process.platform === 'win32' },
  );
  if (result.status !== 0) throw new Error(`npm ci in ${stageDir} failed (exit ${result.status})`);
}

/** Every file under `dir`, relative, with forward slashes; links and `.bin` shims are skipped. */
export function packageFiles(dir: string): string[] {
  const files: string[] = [];
  const walk = (abs: string, rel: string) => {
    for (const entry of fs.readdirSync(abs, { withFileTypes: true })) {
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (entry.name === '.bin' && rel.endsWith('node_modules')) continue;
        walk(path.join(abs, entry.name), childRel);
      } else if (entry.isFile()) {
        files.push(childRel);
      }
    }
  };
  walk(dir, '');
  return files.sort();
}

// Zip entries need a date; a fixed one makes the same files give the same zip.
const ZIP_DATE = new Date('2020-01-01T00:00:00Z');

/** Zips `dir` into `zipPath` file by file (the dependencies run to thousands of files). */
export async function zipDirectory(dir: string, zipPath: string): Promise<{ files: number; bytes: number }> {
  fs.mkdirSync(path.dirname(zipPath), { recursive: true });
  const fd = fs.openSync(zipPath, 'w');
  let bytes = 0;
  const files = packageFiles(dir);
  const done = new Promise<void>((resolve, reject) => {
    const zip = new Zip((err, chunk, final) => {
      if (err) {
        reject(err);
        return;
      }
      fs.writeSync(fd, chunk);
      bytes += chunk.byteLength;
      if (final) resolve();
    });
    try {
      for (const rel of files) {
        const entry = new ZipDeflate(rel, { level: 6 });
        entry.mtime = ZIP_DATE;
        zip.add(entry);
        entry.push(fs.readFileSync(path.join(dir, ...rel.split('/'))), true);
      }
      zip.end();
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
  try {
    await done;
  } finally {
    fs.closeSync(fd);
  }
  return { files: files.length, bytes };
}
