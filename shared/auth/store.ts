import type { Db } from '../db/db';

export interface UserRow {
  id: string;
  email: string;
  name: string | null;
  password_hash: string | null;
  credits: number;
  memory_enabled: boolean;
  created_at: Date;
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

export const userStore = (db: Db) => ({
  insert: (u: { id: string; email: string; name: string | null; passwordHash: string; at: Date }) =>
    db.maybeOne<UserRow>(
      `INSERT INTO users (id, email, name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (email) DO NOTHING RETURNING *`,
      [u.id, u.email, u.name, u.passwordHash, u.at],
    ),
  byEmail: (email: string) => db.maybeOne<UserRow>(`SELECT * FROM users WHERE email = $1`, [email]),
  byId: (id: string) => db.maybeOne<UserRow>(`SELECT * FROM users WHERE id = $1`, [id]),
  updateSettings: (id: string, s: { memoryEnabled?: boolean; name?: string | null }) =>
    db.maybeOne<UserRow>(
      `UPDATE users SET
         memory_enabled = COALESCE($2, memory_enabled),
         name = CASE WHEN $3::boolean THEN $4 ELSE name END
       WHERE id = $1 RETURNING *`,
      [id, s.memoryEnabled ?? null, s.name !== undefined, s.name ?? null],
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
      `SELECT s.*, row_to_json(u.*) AS user FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND s.last_seen_at > $3`,
      [tokenHash, now, idleSince],
    ),
  touch: (tokenHash: string, now: Date) =>
    db.exec(`UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1`, [tokenHash, now]),
  revoke: (tokenHash: string, now: Date) =>
    db.exec(`UPDATE sessions SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL`, [
      tokenHash,
      now,
    ]),
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
});
