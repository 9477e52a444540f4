import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDb } from '../../test/helpers/db';
import type { Db } from './db';
import { migrate } from './migrate';
import { openDb } from './open';

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

describe('errors and transactions, as the code handles them', () => {
  it('a failed statement rejects with its PostgreSQL code and message', async () => {
    await db.exec(`INSERT INTO users (id, email) VALUES ('e-1', 'e1@example.com')`);
    const err = await db
      .exec(`INSERT INTO users (id, email) VALUES ('e-1', 'e1-again@example.com')`)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(pg.DatabaseError);
    expect(err).toMatchObject({ code: '23505', message: expect.stringMatching(/duplicate key/) });
  });

  it('a statement that fails inside a transaction undoes it, and the next statement runs', async () => {
    const err = await db
      .tx(async (tx) => {
        await tx.exec(`INSERT INTO users (id, email) VALUES ('t-2', 't2@example.com')`);
        await tx.exec(`SELECT no_such_column FROM users`);
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: '42703' });
    expect(await db.maybeOne(`SELECT id FROM users WHERE id = 't-2'`)).toBeNull();
    expect(await db.one<{ n: number }>(`SELECT 1 AS n`)).toEqual({ n: 1 });
  });

  it('a statement outside a transaction never sees it half done', async () => {
    let seen: { credits: number } | null | undefined;
    await db.tx(async (tx) => {
      await tx.exec(`INSERT INTO users (id, email, credits) VALUES ('h-1', 'h1@example.com', 1)`);
      // Sent while the transaction is open; it may run before the commit or after it.
      const outside = db.maybeOne<{ credits: number }>(`SELECT credits FROM users WHERE id = 'h-1'`);
      await tx.exec(`UPDATE users SET credits = 2 WHERE id = 'h-1'`);
      void outside.then((row) => (seen = row));
      // The outside read resolves on its own; the transaction only has to not wait for it here.
    });
    await new Promise((r) => setImmediate(r));
    for (let i = 0; seen === undefined && i < 100; i++) await db.one(`SELECT 1 AS n`);
    expect(seen).not.toBeUndefined();
    expect(seen === null || seen?.credits === 2).toBe(true);
  });
});

describe.skipIf(Boolean(process.env.TEST_DATABASE_URL))('the embedded database on its own thread', () => {
  it('leaves the event loop free while a long query runs', async () => {
    let turns = 0;
    let running = true;
    const spin = () => {
      turns++;
      if (running) setImmediate(spin);
    };
    setImmediate(spin);
    const row = await db.one<{ n: number }>(`SELECT count(*) AS n FROM generate_series(1, 3000000)`);
    running = false;
    expect(row.n).toBe(3_000_000);
    // In the app's own thread the query would run as one blocking call: the loop would not turn.
    expect(turns).toBeGreaterThan(50);
  });

  it('keeps a directory’s data across a reopen, and lets only one owner open it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gm-db-test-'));
    try {
      const first = await openDb({ pgliteDir: path.join(dir, 'pglite') });
      await first.exec(`INSERT INTO users (id, email) VALUES ('d-1', 'd1@example.com')`);
      await expect(openDb({ pgliteDir: path.join(dir, 'pglite') })).rejects.toThrow(/in use by process/);
      await first.close();
      const again = await openDb({ pgliteDir: path.join(dir, 'pglite') });
      expect(await again.maybeOne(`SELECT email FROM users WHERE id = 'd-1'`)).toEqual({
        email: 'd1@example.com',
      });
      await again.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});

describe.skipIf(!process.env.TEST_DATABASE_URL)('statements with parameters on PostgreSQL', () => {
  const read = `SELECT * FROM prepared_probe WHERE id = $1`;

  it('are prepared once on a connection and then reused', async () => {
    await db.exec(`CREATE TABLE prepared_reuse (id int PRIMARY KEY)`);
    await db.tx(async (tx) => {
      for (let i = 0; i < 3; i++) await tx.many(`SELECT id FROM prepared_reuse WHERE id = $1`, [i]);
      const prepared = await tx.many<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement = $1`,
        [`SELECT id FROM prepared_reuse WHERE id = $1`],
      );
      expect(prepared).toEqual([{ n: 1 }]);
    });
  });

  it('keep working when a migration adds a column under a prepared SELECT *', async () => {
    await db.exec(`CREATE TABLE prepared_probe (id int PRIMARY KEY)`);
    await db.exec(`INSERT INTO prepared_probe VALUES (1)`);
    // Prepared on the connection the pool hands out next (it reuses the last one released).
    await db.tx((tx) => tx.many(read, [1]));
    await db.exec(`ALTER TABLE prepared_probe ADD COLUMN label text DEFAULT 'new'`);
    expect(await db.many(read, [1])).toEqual([{ id: 1, label: 'new' }]);
  });

  it('fail a transaction that meets a stale statement once, and the connection is not reused', async () => {
    await db.tx((tx) => tx.many(read, [1]));
    await db.exec(`ALTER TABLE prepared_probe ADD COLUMN extra int DEFAULT 7`);
    await expect(db.tx((tx) => tx.many(read, [1]))).rejects.toMatchObject({ code: '0A000' });
    expect(await db.tx((tx) => tx.many(read, [1]))).toEqual([{ id: 1, label: 'new', extra: 7 }]);
  });
});

describe('a database with no connection to give', () => {
  const unavailable = { code: 'unavailable', options: { retryAfterSeconds: 5 } };

  it('answers "unavailable, try again" when the server refuses the socket, for a statement and a transaction', async () => {
    const closed = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const refused = await openDb({
      databaseUrl: `postgres://postgres@127.0.0.1:${closed}/none`,
      migrate: false,
    });
    try {
      await expect(refused.many('SELECT 1')).rejects.toMatchObject(unavailable);
      await expect(refused.tx((tx) => tx.many('SELECT 1'))).rejects.toMatchObject(unavailable);
    } finally {
      await refused.close();
    }
  });

  it.skipIf(!process.env.TEST_DATABASE_URL)(
    'answers "unavailable" when PostgreSQL has no room for another client, and serves once a connection is free',
    async () => {
      const role = `gm_one_${Math.random().toString(36).slice(2, 8)}`;
      await db.exec(`CREATE ROLE ${role} LOGIN CONNECTION LIMIT 1`);
      const url = new URL(process.env.TEST_DATABASE_URL!);
      url.username = role;
      const one = await openDb({ databaseUrl: url.toString(), migrate: false, poolMax: 2 });
      try {
        let release!: () => void;
        const held = new Promise<void>((resolve) => (release = resolve));
        let inside!: () => void;
        const entered = new Promise<void>((resolve) => (inside = resolve));
        const first = one.tx(async (tx) => {
          await tx.many('SELECT 1');
          inside();
          await held;
        });
        await entered;
        // The role's one connection is in the transaction; the pool's second is refused (53300).
        await expect(one.many('SELECT 1 AS n')).rejects.toMatchObject(unavailable);
        release();
        await first;
        expect(await one.many('SELECT 1 AS n')).toEqual([{ n: 1 }]);
      } finally {
        await one.close();
        await db.exec(`DROP ROLE ${role}`);
      }
    },
  );
});
