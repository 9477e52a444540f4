import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { poolDb, type Db } from './db';
import { tokenConnection } from './entra';
import { migrate } from './migrate';
import { startPgliteThread } from './pglite-thread';

const INT8_OID = 20;

/** bigint columns hold credits and counters far below 2^53, so numbers are safe and simpler. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? (v: string) => Number(v)
      : (pg.types.getTypeParser(oid, format) as (v: string) => unknown)) as typeof pg.types.getTypeParser,
};

export interface OpenDbOptions {
  /** PostgreSQL URL; unset → embedded PGlite. */
  databaseUrl?: string;
  /** Directory for PGlite's files; `memory://` keeps everything in memory. */
  pgliteDir?: string;
  migrate?: boolean;
  /** Asked for each new connection's password (a Microsoft Entra token, entra.ts); unset → the URL's. */
  password?: () => Promise<string>;
  /** Most PostgreSQL connections this process holds (DB_POOL_MAX). */
  poolMax?: number;
}

/**
 * For openers without the app's config (tests, the bench's tools). Kept below the app's default
 * (DB_POOL_MAX, 20): the test files run in parallel, each with a pool of its own, against one
 * server's 100 connections.
 */
const DEFAULT_POOL_MAX = 10;

export async function openDb(opts: OpenDbOptions): Promise<Db> {
  const db = opts.databaseUrl
    ? poolDb(
        'postgres',
        new pg.Pool({
          ...(opts.password
            ? tokenConnection(opts.databaseUrl, opts.password)
            : { connectionString: opts.databaseUrl }),
          max: opts.poolMax ?? DEFAULT_POOL_MAX,
          types,
        }),
      )
    : await openPglite(opts.pgliteDir ?? 'memory://');
  if (opts.migrate !== false) await migrate(db);
  return db;
}

/** Enough for the thread never to wait on the app's round trips; more would only queue there. */
const PGLITE_CLIENTS = 8;

async function openPglite(dir: string): Promise<Db> {
  const inMemory = dir.startsWith('memory://');
  const release = inMemory ? undefined : lockDirectory(dir);
  try {
    // Off the event loop: the database's own thread (pglite-thread.ts says why).
    const thread = await startPgliteThread(inMemory ? undefined : dir);
    // PGlite is one session; the thread runs one client's transaction at a time and queues the
    // others' statements, so several clients keep it busy without interleaving transactions.
    const pool = new pg.Pool({
      stream: () => thread.socket(),
      // PGlite's one database and role; pg would otherwise send $USER, which PGlite cannot start as.
      user: 'postgres',
      database: 'postgres',
      max: PGLITE_CLIENTS,
      idleTimeoutMillis: 0,
      types,
    });
    return poolDb('pglite', pool, async () => {
      await thread.close();
      release?.();
    });
  } catch (err) {
    release?.();
    throw err;
  }
}

/**
 * Two PGlite instances on one directory silently lose writes, so one opener owns it: another
 * process, or a second open in this one (each open is a thread of its own). A lock left by a
 * dead process is taken over.
 */
function lockDirectory(dir: string): () => void {
  fs.mkdirSync(dir, { recursive: true });
  const lockFile = path.join(path.dirname(path.resolve(dir)), `${path.basename(dir)}.lock`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      heldHere.add(lockFile);
      return () => {
        heldHere.delete(lockFile);
        fs.rmSync(lockFile, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(fs.readFileSync(lockFile, 'utf8'));
      const live = owner === process.pid ? heldHere.has(lockFile) : owner > 0 && isAlive(owner);
      if (live) {
        throw new Error(
          `The embedded database in ${dir} is in use by process ${owner}. ` +
            'Stop it first, or set DATABASE_URL to use PostgreSQL.',
        );
      }
      fs.rmSync(lockFile, { force: true });
    }
  }
  throw new Error(`Could not lock ${dir}`);
}

/** Lock files this process holds; one with our pid that is not here was left by a dead namesake. */
const heldHere = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
