/**
 * Runs the Azurite storage emulator (the npm package, no Docker) as a child process on free ports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { devConnectionString } from './storage';

export interface AzuriteOptions {
  /** Persist data in this directory. Without it, data lives in memory only. */
  location?: string;
  /** Force in-memory even when location is given (Azurite forbids combining both flags). */
  inMemory?: boolean;
  host?: string;
  startTimeoutMs?: number;
}

export interface AzuriteHandle {
  connectionString: string;
  blobPort: number;
  queuePort: number;
  tablePort: number;
  stop(): Promise<void>;
}

/**
 * Distinct ports free now, held open together while chosen. They come from below the kernel's
 * ephemeral range: a port picked with listen(0) lies inside it, and between closing it and the
 * real server binding it, any outgoing connection on the machine (a parallel test's client
 * socket) can take it as its local port — CI saw EADDRINUSE that way.
 */
/**
 * Ports this process has handed out. A port is free when chosen but bound only later, so two
 * choices in one process (a host's port, then its Azurite's three) could name the same port and
 * the second to bind would fail: seen in CI, a test host and its own Azurite both given 31009.
 */
const handedOut = new Set<number>();
const HANDED_OUT_KEPT = 2000;

export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const [low, high] = belowEphemeralRange();
  const held: net.Server[] = [];
  try {
    for (let tries = 0; held.length < count; tries++) {
      if (tries > 200) throw new Error(`No free port found in ${low}-${high - 1} on ${host}`);
      const port = low + Math.floor(Math.random() * (high - low));
      if (handedOut.has(port)) continue;
      const server = await bindOrNull(port, host);
      if (server) held.push(server);
    }
    const ports = held.map((s) => (s.address() as net.AddressInfo).port);
    for (const p of ports) handedOut.add(p);
    for (const old of handedOut) {
      if (handedOut.size <= HANDED_OUT_KEPT) break;
      handedOut.delete(old);
    }
    return ports;
  } finally {
    await Promise.all(held.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

function belowEphemeralRange(): [number, number] {
  let start = 32768;
  try {
    const [lo] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    if (lo && Number(lo) > 0) start = Number(lo);
  } catch {
    // Not Linux: macOS and Windows start their ephemeral ranges at 49152.
    start = 49152;
  }
  const high = Math.max(start, 12000);
  return [Math.max(1024, high - 12000), high];
}

function bindOrNull(port: number, host: string): Promise<net.Server | null> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(null));
    server.listen(port, host, () => resolve(server));
  });
}

function canConnect(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function azuriteScript(): string {
  // The package's "azurite" bin; requiring its package.json keeps this robust to dist moves.
  const pkgPath = require.resolve('azurite/package.json');
  const pkg = JSON.parse(fs.readFileSync(pkgPath, 'utf8')) as { bin?: Record<string, string> };
  return path.resolve(path.dirname(pkgPath), pkg.bin?.azurite ?? 'dist/src/azurite.js');
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

async function startOnce(opts: AzuriteOptions): Promise<AzuriteHandle> {
  const host = opts.host ?? '127.0.0.1';
  const [blobPort = 0, queuePort = 0, tablePort = 0] = await freePorts(3, host);
  const inMemory = opts.inMemory === true || !opts.location;
  const args = [
    azuriteScript(),
    '--silent',
    '--loose',
    '--skipApiVersionCheck',
    '--disableTelemetry',
    '--blobHost',
    host,
    '--blobPort',
    String(blobPort),
    '--queueHost',
    host,
    '--queuePort',
    String(queuePort),
    '--tableHost',
    host,
    '--tablePort',
    String(tablePort),
  ];
  if (inMemory) {
    args.push('--inMemoryPersistence');
  } else {
    const location = path.resolve(opts.location!);
    fs.mkdirSync(location, { recursive: true });
    args.push('--location', location);
  }

  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-8000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  // Never leave an orphaned emulator holding ports/locks when the host process exits.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  let exitInfo: string | undefined;
  child.once('exit', (code, signal) => {
    exitInfo = `exited with ${signal ?? `code ${code}`}`;
    process.off('exit', killOnExit);
  });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  let spawnFailure: Error | undefined;
  void spawnError.then((e) => (spawnFailure = e));

  const deadline = Date.now() + (opts.startTimeoutMs ?? 20_000);
  for (;;) {
    if (spawnFailure || exitInfo) {
      process.off('exit', killOnExit);
      throw new Error(
        `Azurite failed to start (${spawnFailure?.message ?? exitInfo}). Output:\n${output.trim()}`,
      );
    }
    const ready = await Promise.all([blobPort, queuePort, tablePort].map((p) => canConnect(p, host)));
    if (ready.every(Boolean)) break;
    if (Date.now() > deadline) {
      await stopChild(child);
      process.off('exit', killOnExit);
      throw new Error(
        `Azurite did not accept connections within ${opts.startTimeoutMs ?? 20_000} ms. Output:\n${output.trim()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    connectionString: devConnectionString({ blob: blobPort, queue: queuePort, table: tablePort }, host),
    blobPort,
    queuePort,
    tablePort,
    async stop() {
      await stopChild(child);
      process.off('exit', killOnExit);
    },
  };
}

export async function startAzurite(opts: AzuriteOptions = {}): Promise<AzuriteHandle> {
  // Another process can grab one of the "free" ports before Azurite binds it; retry that race.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      if (attempt >= 3 || !/EADDRINUSE/.test(String(err))) throw err;
    }
  }
}
