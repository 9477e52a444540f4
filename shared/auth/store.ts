import type { Db } from '../db/db';

export interface UserRow {
  id: string;
  email: string;
  name: string | null;
  password_hash: string | null;
  credits: number;
  memory_enabled: boolean;
  monthly_spend_cap_credits: number | null;
  low_balance_credits: number | null;
  created_at: Date;
  deleted_at: Date | null;
  /** The providers linked to the account, each once, sorted. */
  providers: string[];
}

export interface SessionRow {
  token_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
}

/** The columns of a user row `u`, with its linked providers. */
const USER = `u.*, ARRAY(SELECT DISTINCT i.provider FROM identities i WHERE i.user_id = u.id ORDER BY 1) AS providers`;

export const userStore = (db: Db) => ({
  /** A new account; `passwordHash` null for one that signs in only through a provider. */
  insert: (u: { id: string; email: string; name: string | null; passwordHash: string | null; at: Date }) =>
    db.maybeOne<UserRow>(
      `WITH u AS (
         INSERT INTO users (id, email, name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (email) DO NOTHING RETURNING *)
       SELECT u.*, '{}'::text[] AS providers FROM u`,
      [u.id, u.email, u.name, u.passwordHash, u.at],
    ),
  byEmail: (email: string) =>
    db.maybeOne<UserRow>(`SELECT ${USER} FROM users u WHERE u.email = $1 AND u.deleted_at IS NULL`, [email]),
  byId: (id: string) =>
    db.maybeOne<UserRow>(`SELECT ${USER} FROM users u WHERE u.id = $1 AND u.deleted_at IS NULL`, [id]),
  /** Locks the row for the transaction: password changes and deletion of one account take turns. */
  byIdForUpdate: (id: string) =>
    db.maybeOne<UserRow>(
      `SELECT ${USER} FROM users u WHERE u.id = $1 AND u.deleted_at IS NULL FOR UPDATE OF u`,
      [id],
    ),
  updateSettings: (
    id: string,
    s: {
      memoryEnabled?: boolean;
      name?: string | null;
      monthlySpendCapCredits?: number | null;
      lowBalanceCredits?: number | null;
    },
  ) =>
    db.maybeOne<UserRow>(
      `WITH u AS (
         UPDATE users SET
           memory_enabled = COALESCE($2, memory_enabled),
           name = CASE WHEN $3::boolean THEN $4 ELSE name END,
           monthly_spend_cap_credits = CASE WHEN $5::boolean THEN $6::bigint ELSE monthly_spend_cap_credits END,
           low_balance_credits = CASE WHEN $7::boolean THEN $8::bigint ELSE low_balance_credits END
         WHERE id = $1 AND deleted_at IS NULL RETURNING *)
       SELECT ${USER} FROM u`,
      [
        id,
        s.memoryEnabled ?? null,
        s.name !== undefined,
        s.name ?? null,
        s.monthlySpendCapCredits !== undefined,
        s.monthlySpendCapCredits ?? null,
        s.lowBalanceCredits !== undefined,
        s.lowBalanceCredits ?? null,
      ],
    ),
  /** Replaces the password hash only if it is still `expected` (null: the account had none). */
  swapPasswordHash: async (id: string, expected: string | null, passwordHash: string) =>
    (await db.exec(
      `UPDATE users SET password_hash = $3
        WHERE id = $1 AND deleted_at IS NULL AND password_hash IS NOT DISTINCT FROM $2`,
      [id, expected, passwordHash],
    )) === 1,
  /** The account's conversations; their messages and replies go with them (ON DELETE CASCADE). */
  deleteConversations: (id: string) => db.exec(`DELETE FROM conversations WHERE user_id = $1`, [id]),
  /**
   * What deleting an account leaves: the row, which the ledger and purchases point at, without
   * the person (email, name, password). The email is freed for a new account.
   */
  anonymize: (id: string, at: Date) =>
    db.exec(
      `UPDATE users SET email = 'deleted-' || id || '@deleted.invalid', name = NULL, password_hash = NULL,
              memory_enabled = false, deleted_at = $2
        WHERE id = $1 AND deleted_at IS NULL`,
      [id, at],
    ),
});

export const sessionStore = (db: Db) => ({
  insert: (s: Omit<SessionRow, 'revoked_at'>) =>
    db.exec(
      `INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [s.token_hash, s.user_id, s.csrf_token, s.created_at, s.last_seen_at, s.expires_at],
    ),
  live: (tokenHash: string, now: Date, idleSince: Date) =>
    db.maybeOne<SessionRow & { user: UserRow }>(
      `SELECT s.*, (SELECT row_to_json(x) FROM (SELECT ${USER}) x) AS user
         FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND s.last_seen_at > $3
          AND u.deleted_at IS NULL`,
      [tokenHash, now, idleSince],
    ),
  touch: (tokenHash: string, now: Date) =>
    db.exec(`UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1`, [tokenHash, now]),
  revoke: (tokenHash: string, now: Date) =>
    db.exec(`UPDATE sessions SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL`, [
      tokenHash,
      now,
    ]),
  /** Every session of the user but `keepTokenHash` (the one that asked). */
  revokeOthers: (userId: string, keepTokenHash: string, now: Date) =>
    db.exec(
      `UPDATE sessions SET revoked_at = $3 WHERE user_id = $1 AND token_hash <> $2 AND revoked_at IS NULL`,
      [userId, keepTokenHash, now],
    ),
  deleteAll: (userId: string) => db.exec(`DELETE FROM sessions WHERE user_id = $1`, [userId]),
});

export interface IdentityRow {
  provider: string;
  subject: string;
  user_id: string;
  email: string | null;
  created_at: Date;
  last_used_at: Date;
}

/** Rows of `identities`: a provider account, keyed `(provider, subject)`, belongs to one user. */
export const identityStore = (db: Db) => ({
  find: (provider: string, subject: string) =>
    db.maybeOne<IdentityRow>(`SELECT * FROM identities WHERE provider = $1 AND subject = $2`, [
      provider,
      subject,
    ]),
  /**
   * Links the provider account to the user unless it is linked already (to anyone); returns
   * the owner it has afterwards, so a race between two links settles on one.
   */
  link: async (i: { provider: string; subject: string; userId: string; email: string | null; at: Date }) => {
    const inserted = await db.maybeOne<{ user_id: string }>(
      `INSERT INTO identities (provider, subject, user_id, email, created_at, last_used_at)
       VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (provider, subject) DO NOTHING RETURNING user_id`,
      [i.provider, i.subject, i.userId, i.email, i.at],
    );
    // Not inserted: it was linked already, perhaps a moment ago by a concurrent sign-in.
    return inserted?.user_id ?? (await identityStore(db).find(i.provider, i.subject))?.user_id ?? null;
  },
  used: (provider: string, subject: string, email: string | null, at: Date) =>
    db.exec(
      `UPDATE identities SET last_used_at = $4, email = COALESCE($3, email) WHERE provider = $1 AND subject = $2`,
      [provider, subject, email, at],
    ),
  deleteAll: (userId: string) => db.exec(`DELETE FROM identities WHERE user_id = $1`, [userId]),
});

export interface OAuthFlowRow {
  binding_hash: string;
  provider: string;
  state: string;
  nonce: string;
  code_verifier: string;
  return_to: string;
  link_user_id: string | null;
  created_at: Date;
  expires_at: Date;
}

/** Rows of `oauth_flows`: sign-ins between the redirect to the provider and its callback. */
export const oauthFlowStore = (db: Db) => ({
  /** Stores a new flow, dropping the ones that expired (the table holds only live flows). */
  insert: async (f: OAuthFlowRow) => {
    await db.exec(`DELETE FROM oauth_flows WHERE expires_at <= $1`, [f.created_at]);
    await db.exec(
      `INSERT INTO oauth_flows (binding_hash, provider, state, nonce, code_verifier, return_to, link_user_id,
                                created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        f.binding_hash,
        f.provider,
        f.state,
        f.nonce,
        f.code_verifier,
        f.return_to,
        f.link_user_id,
        f.created_at,
        f.expires_at,
      ],
    );
  },
  /** Takes the flow out, so a callback can use it once: a replay finds nothing. */
  take: (bindingHash: string) =>
    db.maybeOne<OAuthFlowRow>(`DELETE FROM oauth_flows WHERE binding_hash = $1 RETURNING *`, [bindingHash]),
  deleteAll: (userId: string) => db.exec(`DELETE FROM oauth_flows WHERE link_user_id = $1`, [userId]),
});

export interface ThrottleRow {
  failures: number;
  window_started_at: Date;
  locked_until: Date | null;
}

/** How one throttle key counts: see `take`. */
export interface ThrottleRule {
  /** Attempts are counted in windows of this length, from the first attempt of the window. */
  windowMs: number;
  /** The attempt that brings the count to this number closes the key for `delayMs`. */
  threshold: number;
  /** The first closure's length; each further attempt in the window doubles it... */
  delayMs: number;
  /** ...up to this. A fixed lock has `maxDelayMs` equal to `delayMs`. */
  maxDelayMs: number;
}

/** The count of an attempt: the next one, or 1 when the window it would join has ended. */
const NEXT = `(CASE WHEN t.window_started_at <= $3 THEN 1 ELSE t.failures + 1 END)`;

/**
 * Rows of `login_throttle` (sign-in and registration alike). `failures` is the number of
 * attempts counted in the current window and not taken back (see `release`); `locked_until`
 * is the earliest time the key lets another attempt through.
 */
export const throttleStore = (db: Db) => ({
  /**
   * Counts one attempt and decides whether it may go ahead, in one statement, before the
   * attempt does anything: the row lock of the upsert serialises a burst, so however many
   * arrive at once, each sees the count of the ones before it. Returns the row when the
   * attempt may go ahead (null: the key is closed, nothing was counted). The attempt that
   * reaches the threshold goes ahead and closes the key behind it.
   */
  take: (key: string, rule: ThrottleRule, now: Date) =>
    db.maybeOne<ThrottleRow>(
      `INSERT INTO login_throttle AS t (key, failures, window_started_at, locked_until)
       VALUES ($1, 1, $2::timestamptz,
               CASE WHEN 1 >= $4::int THEN $2::timestamptz + $5::float8 * interval '1 millisecond' END)
       ON CONFLICT (key) DO UPDATE SET
         failures = ${NEXT},
         window_started_at = CASE WHEN t.window_started_at <= $3 THEN $2::timestamptz ELSE t.window_started_at END,
         locked_until = CASE WHEN ${NEXT} >= $4::int
           THEN $2::timestamptz + LEAST($6::float8, $5::float8 * power(2::float8, LEAST(${NEXT} - $4::int, 40)))
                                  * interval '1 millisecond'
           END
        WHERE t.locked_until IS NULL OR t.locked_until <= $2::timestamptz
       RETURNING failures, window_started_at, locked_until`,
      [key, now, new Date(now.getTime() - rule.windowMs), rule.threshold, rule.delayMs, rule.maxDelayMs],
    ),

  /**
   * Takes back one attempt counted by `take` in the window it returned (one that proved good,
   * or never went ahead because another key refused it), reopening the key if that attempt
   * was the one that closed it. A window that has since restarted is left alone.
   */
  release: (key: string, rule: ThrottleRule, windowStartedAt: Date) =>
    db.exec(
      `UPDATE login_throttle SET
         failures = GREATEST(failures - 1, 0),
         locked_until = CASE WHEN failures - 1 < $3 THEN NULL ELSE locked_until END
       WHERE key = $1 AND window_started_at = $2`,
      [key, windowStartedAt, rule.threshold],
    ),

  /** When a closed key opens again (null: it is open, e.g. reopened since it refused). */
  lockedUntil: async (key: string) =>
    (
      await db.maybeOne<{ locked_until: Date | null }>(
        `SELECT locked_until FROM login_throttle WHERE key = $1`,
        [key],
      )
    )?.locked_until ?? null,

  clear: (key: string) => db.exec(`DELETE FROM login_throttle WHERE key = $1`, [key]),

  /**
   * Forgets keys that hold no state any more: their window ended long ago (every rule's window
   * is at most `staleBefore` old) and no lock is running, so their next attempt starts afresh
   * with or without the row. Without this every address that ever signed in or opened a share
   * would keep a row.
   */
  sweep: (staleBefore: Date, now: Date) =>
    db.exec(
      `DELETE FROM login_throttle
        WHERE window_started_at < $1 AND (locked_until IS NULL OR locked_until <= $2)`,
      [staleBefore, now],
    ),
});
