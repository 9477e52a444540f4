import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDb } from '../../test/helpers/db';
import type { Db } from './db';
import { migrate } from './migrate';

let db: Db;
beforeAll(async () => {
  db = await testDb();
});
afterAll(() => db.close());

describe('db', () => {
  it('migrations are applied once, and running them again changes nothing', async () => {
    const before = await db.many<{ id: string }>('SELECT id FROM schema_migrations ORDER BY id');
    expect(before.length).toBeGreaterThan(0);
    expect(await migrate(db)).toEqual([]);
  });

  it('a failed transaction leaves no trace', async () => {
    await expect(
      db.tx(async (tx) => {
        await tx.exec(`INSERT INTO users (id, email) VALUES ('tx-1', 'tx1@example.com')`);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await db.maybeOne(`SELECT id FROM users WHERE id = 'tx-1'`)).toBeNull();
  });

  it('concurrent transactions do not interleave (PGlite is one session)', async () => {
    await db.exec(`INSERT INTO users (id, email, credits) VALUES ('c-1', 'c1@example.com', 0)`);
    await Promise.all(
      Array.from({ length: 20 }, () =>
        db.tx(async (tx) => {
          const row = await tx.one<{ credits: number }>(
            `SELECT credits FROM users WHERE id = 'c-1' FOR UPDATE`,
          );
          await tx.exec(`UPDATE users SET credits = $1 WHERE id = 'c-1'`, [row.credits + 1]);
        }),
      ),
    );
    const row = await db.one<{ credits: number }>(`SELECT credits FROM users WHERE id = 'c-1'`);
    expect(row.credits).toBe(20);
    expect(typeof row.credits).toBe('number');
  });
});

describe('the embedded database', () => {
  it.skipIf(Boolean(process.env.TEST_DATABASE_URL))(
    'has pgvector available for a feature migration to create',
    async () => {
      await db.exec('CREATE EXTENSION IF NOT EXISTS vector');
      const row = await db.one<{ d: number }>(`SELECT '[1,2,3]'::vector <-> '[1,2,4]'::vector AS d`);
      expect(row.d).toBe(1);
    },
  );
});
