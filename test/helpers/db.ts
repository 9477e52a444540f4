import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Db } from '../../shared/db/db';
import { openDb } from '../../shared/db/open';

/**
 * A fresh, migrated database for one test file: PGlite in memory by default, or — when
 * TEST_DATABASE_URL is set (CI's second pass) — a new schema in that real PostgreSQL, so
 * test files stay isolated while running in parallel.
 */
export async function testDb(): Promise<Db> {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) return openDb({ pgliteDir: 'memory://' });
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const scoped = new URL(url);
  scoped.searchParams.set('options', `-c search_path=${schema}`);
  const db = await openDb({ databaseUrl: scoped.toString() });
  return {
    ...db,
    async close() {
      await db.close();
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    },
  };
}

export const usingRealPostgres = () => Boolean(process.env.TEST_DATABASE_URL);
