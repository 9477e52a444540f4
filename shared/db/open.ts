import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { poolDb, type Db } from './db';
import { tokenConnection } from './entra';
import { migrate } from './migrate';

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
}

export async function openDb(opts: OpenDbOptions): Promise<Db> {
  const db = opts.databaseUrl
    ? poolDb(
        'postgres',
        new pg.Pool({
          ...(opts.password
            ? tokenConnection(opts.databaseUrl, opts.password)
            : { connectionString: opts.databaseUrl }),
          max: 10,
          types,
        }),
      )
    : await openPglite(opts.pgliteDir ?? 'memory://');
  if (opts.migrate !== false) await migrate(db);
  return db;
}

async function openPglite(dir: string): Promise<Db> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { createPgConfig } = await import('@electric-sql/pglite/node-postgres');
  // Available, not created: the vector store's own migration runs CREATE EXTENSION vector.
  const { vector } = await import('@electric-sql/pglite-pgvector');
  const release = dir.startsWith('memory://') ? undefined : lockDirectory(dir);
  try {
    const lite = await PGlite.create(dir.startsWith('memory://') ? undefined : dir, {
      extensions: { vector },
    });
    // PGlite is one session: a pool of one serialises transactions instead of interleaving them.
    const pool = new pg.Pool({ ...createPgConfig(lite), max: 1, idleTimeoutMillis: 0, types });
    return poolDb('pglite', pool, async () => {
      await lite.close();
      release?.();
    });
  } catch (err) {
    release?.();
    throw err;
  }
}

/**
 * Two PGlite instances on one directory silently lose writes, so one process owns it.
 * A lock left by a dead process is taken over.
 */
function lockDirectory(dir: string): () => void {
  fs.mkdirSync(dir, { recursive: true });
  const lockFile = path.join(path.dirname(path.resolve(dir)), `${path.basename(dir)}.lock`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(lockFile, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(fs.readFileSync(lockFile, 'utf8'));
      if (owner && owner !== process.pid && isAlive(owner)) {
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

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
