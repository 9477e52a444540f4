import { scopedSchema } from '../../dev/postgres-schema';
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
  const scope = await scopedSchema(url, 't');
  const db = await openDb({ databaseUrl: scope.url });
  return {
    ...db,
    async close() {
      await db.close();
      await scope.drop();
    },
  };
}

export const usingRealPostgres = () => Boolean(process.env.TEST_DATABASE_URL);
