import type { Db } from '../db/db';

export interface ApiKeyRow {
  id: string;
  user_id: string;
  name: string;
  prefix: string;
  secret_hash: string;
  spend_limit_credits: number | null;
  spent_credits: number;
  created_at: Date;
  last_used_at: Date | null;
}

const SPENT = `(SELECT COALESCE(sum(u.credits), 0) FROM usage_records u WHERE u.api_key_id = k.id)::bigint AS spent_credits`;

/** Every query but the lookup by prefix carries the owner; revoked keys match nothing. */
export const apiKeyStore = (db: Db) => ({
  list: (userId: string) =>
    db.many<ApiKeyRow>(
      `SELECT k.*, ${SPENT} FROM api_keys k
        WHERE k.user_id = $1 AND k.revoked_at IS NULL ORDER BY k.created_at, k.id`,
      [userId],
    ),

  /** Inserts unless the user already has `max` live keys (null then), counted in the same statement. */
  insertBelow: (
    max: number,
    k: {
      id: string;
      userId: string;
      name: string;
      prefix: string;
      secretHash: string;
      spendLimit: number | null;
      at: Date;
    },
  ) =>
    db.maybeOne<ApiKeyRow>(
      `INSERT INTO api_keys (id, user_id, name, prefix, secret_hash, spend_limit_credits, created_at)
       SELECT $1, $2, $3, $4, $5, $6, $7
        WHERE (SELECT count(*) FROM api_keys WHERE user_id = $2 AND revoked_at IS NULL) < $8
       RETURNING *, 0::bigint AS spent_credits`,
      [k.id, k.userId, k.name, k.prefix, k.secretHash, k.spendLimit, k.at, max],
    ),

  /** Returns whether a live key of this user was revoked. */
  revoke: async (userId: string, id: string, at: Date) =>
    (await db.exec(
      `UPDATE api_keys SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL`,
      [id, userId, at],
    )) > 0,

  /** Asks the key's running streams to stop: whichever instance streams them ends them at its next poll. */
  stopStreams: (id: string) =>
    db.exec(`UPDATE generations SET stop_requested = true WHERE api_key_id = $1 AND status = 'streaming'`, [
      id,
    ]),

  /** The live key with this prefix, for the caller to compare hashes; null when none. */
  byPrefix: (prefix: string) =>
    db.maybeOne<ApiKeyRow>(
      `SELECT k.*, 0::bigint AS spent_credits FROM api_keys k WHERE k.prefix = $1 AND k.revoked_at IS NULL`,
      [prefix],
    ),

  /** At most one write a minute per key: "last used" needs no more precision than that. */
  touch: (id: string, at: Date) =>
    db.exec(
      `UPDATE api_keys SET last_used_at = $2
        WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2::timestamptz - interval '1 minute')`,
      [id, at],
    ),
});
