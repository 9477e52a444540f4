import type { Pool, PoolClient, QueryResultRow } from 'pg';

export type DbKind = 'pglite' | 'postgres';

/** The data layer's one interface: plain SQL with parameters, over pg or embedded PGlite. */
export interface Db {
  readonly kind: DbKind;
  many<T extends QueryResultRow>(sql: string, params?: unknown[]): Promise<T[]>;
  maybeOne<T extends QueryResultRow>(sql: string, params?: unknown[]): Promise<T | null>;
  one<T extends QueryResultRow>(sql: string, params?: unknown[]): Promise<T>;
  /** Runs a statement; returns the number of rows it touched. */
  exec(sql: string, params?: unknown[]): Promise<number>;
  /** Runs `fn` in one transaction; everything inside must use the `tx` it is given. */
  tx<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

type Queryable = Pool | PoolClient;

function queries(kind: DbKind, q: Queryable): Omit<Db, 'tx' | 'close'> {
  const many = async <T extends QueryResultRow>(sql: string, params: unknown[] = []) =>
    (await q.query<T>(sql, params)).rows;
  return {
    kind,
    many,
    async maybeOne<T extends QueryResultRow>(sql: string, params: unknown[] = []) {
      const rows = await many<T>(sql, params);
      return rows[0] ?? null;
    },
    async one<T extends QueryResultRow>(sql: string, params: unknown[] = []) {
      const rows = await many<T>(sql, params);
      if (!rows[0]) throw new Error('expected one row, got none');
      return rows[0];
    },
    async exec(sql: string, params: unknown[] = []) {
      return (await q.query(sql, params)).rowCount ?? 0;
    },
  };
}

function clientDb(kind: DbKind, client: PoolClient): Db {
  return {
    ...queries(kind, client),
    // Nested transactions are flattened: the outer one decides.
    tx: (fn) => fn(clientDb(kind, client)),
    close: async () => undefined,
  };
}

export function poolDb(kind: DbKind, pool: Pool, onClose?: () => Promise<void>): Db {
  return {
    ...queries(kind, pool),
    async tx<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(clientDb(kind, client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    async close() {
      await pool.end();
      await onClose?.();
    },
  };
}
