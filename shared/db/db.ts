import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { AppError } from '../errors';

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

/**
 * Names for prepared statements, by SQL text. A named statement is parsed once per connection
 * and its plan can be cached; unnamed, PostgreSQL parses and plans every call, which the profile
 * of a burst of replies showed as the larger part of each statement's server time. Bounded, in
 * case some caller builds SQL text from data; beyond the bound statements go unnamed.
 */
const MAX_NAMED_STATEMENTS = 1000;
const statementNames = new Map<string, string>();

function statementName(sql: string): string | undefined {
  let name = statementNames.get(sql);
  if (name === undefined && statementNames.size < MAX_NAMED_STATEMENTS) {
    name = `gm${statementNames.size}`;
    statementNames.set(sql, name);
  }
  return name;
}

/** PostgreSQL refuses a prepared statement whose result columns a migration changed. */
function staleStatement(err: unknown): boolean {
  return (
    (err as { code?: string }).code === '0A000' &&
    /cached plan must not change result type/.test((err as Error).message)
  );
}

/**
 * A new connection was refused: the server had no room (too many clients: instances ×
 * DB_POOL_MAX past its max_connections), is starting or stopping, or refused the socket. Each
 * happens before a statement is sent, so nothing ran, and the caller is told to come back
 * (503 with Retry-After) rather than that we failed. A connection lost mid-statement is not
 * here: whether that statement ran is unknown.
 */
const NO_ROOM_CODES = new Set(['53300', '57P03', 'ECONNREFUSED']);
const RETRY_AFTER_SECONDS = 5;

function noRoom(err: unknown): AppError | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !NO_ROOM_CODES.has(code)) return undefined;
  return new AppError('unavailable', 'The service is busy; try again in a few seconds.', {
    retryAfterSeconds: RETRY_AFTER_SECONDS,
  });
}

/** A connection from the pool, or `unavailable` when the server has none to give. */
async function connect(pool: Pool): Promise<PoolClient> {
  try {
    return await pool.connect();
  } catch (err) {
    throw noRoom(err) ?? err;
  }
}

function queries(kind: DbKind, q: Queryable, inPool: boolean): Omit<Db, 'tx' | 'close'> {
  // PGlite's thread multiplexes its clients onto one session, where one client's prepared name
  // would collide with another's; and without parameters pg uses the simple protocol, which
  // runs the several statements of a migration (a prepared statement holds just one).
  const prepared = async <T extends QueryResultRow>(sql: string, params: unknown[]) => {
    const name = kind === 'postgres' && params.length > 0 ? statementName(sql) : undefined;
    if (!name) return q.query<T>(sql, params);
    try {
      return await q.query<T>({ text: sql, values: params, name });
    } catch (err) {
      // A migration changed a table under a prepared `SELECT *` (a deploy while this instance
      // runs). The pool drops the connection that failed; outside a transaction the statement
      // runs again unprepared, so the caller never sees it.
      if (!(staleStatement(err) && inPool)) throw err;
      return q.query<T>(sql, params);
    }
  };
  // Only a pool connects on a statement's behalf; a transaction's client is already connected.
  const run = !inPool
    ? prepared
    : async <T extends QueryResultRow>(sql: string, params: unknown[]) => {
        try {
          return await prepared<T>(sql, params);
        } catch (err) {
          throw noRoom(err) ?? err;
        }
      };
  const many = async <T extends QueryResultRow>(sql: string, params: unknown[] = []) =>
    (await run<T>(sql, params)).rows;
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
      return (await run(sql, params)).rowCount ?? 0;
    },
  };
}

function clientDb(kind: DbKind, client: PoolClient): Db {
  return {
    ...queries(kind, client, false),
    // Nested transactions are flattened: the outer one decides.
    tx: (fn) => fn(clientDb(kind, client)),
    close: async () => undefined,
  };
}

export function poolDb(kind: DbKind, pool: Pool, onClose?: () => Promise<void>): Db {
  return {
    ...queries(kind, pool, true),
    async tx<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
      const client = await connect(pool);
      let stale = false;
      try {
        await client.query('BEGIN');
        const result = await fn(clientDb(kind, client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        // A connection whose prepared statement went stale is not given back for the next caller.
        stale = staleStatement(err);
        throw err;
      } finally {
        client.release(stale);
      }
    },
    async close() {
      await pool.end();
      await onClose?.();
    },
  };
}
