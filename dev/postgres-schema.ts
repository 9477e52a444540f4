import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * A fresh schema in the PostgreSQL at `url`, and a URL whose connections use it (search_path):
 * test files and benchmark runs share one server without seeing each other's tables.
 */
export async function scopedSchema(
  url: string,
  prefix: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const schema = `${prefix}_${randomBytes(6).toString('hex')}`;
  await adminQuery(url, `CREATE SCHEMA ${schema}`);
  const scoped = new URL(url);
  scoped.searchParams.set('options', `-c search_path=${schema}`);
  return { url: scoped.toString(), drop: () => adminQuery(url, `DROP SCHEMA ${schema} CASCADE`) };
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}
