import type { Db } from './db';
import { migrations } from './migrations';

// Any constant works; it only has to be the same for every instance that migrates.
const MIGRATION_LOCK = 4_815_162_342;

/** Applies pending migrations, one transaction each, safe when several instances start at once. */
export async function migrate(db: Db): Promise<string[]> {
  await db.exec(
    `CREATE TABLE IF NOT EXISTS schema_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
  );
  const applied: string[] = [];
  for (const m of migrations) {
    const done = await db.tx(async (tx) => {
      await tx.exec('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      if (await tx.maybeOne('SELECT id FROM schema_migrations WHERE id = $1', [m.id])) return false;
      await tx.exec(m.sql);
      await tx.exec('INSERT INTO schema_migrations (id) VALUES ($1)', [m.id]);
      return true;
    });
    if (done) applied.push(m.id);
  }
  return applied;
}
