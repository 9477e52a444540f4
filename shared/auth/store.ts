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

export const throttleStore = (db: Db) => ({
  get: (key: string) =>
    db.maybeOne<{ failures: number; window_started_at: Date; locked_until: Date | null }>(
      `SELECT failures, window_started_at, locked_until FROM login_throttle WHERE key = $1`,
      [key],
    ),
  /** Counts a failure inside the window (a new window when the old one ended), locking at the limit. */
  fail: (key: string, now: Date, windowStart: Date, limit: number, lockUntil: Date) =>
    db.one<{ failures: number; locked_until: Date | null }>(
      `INSERT INTO login_throttle AS t (key, failures, window_started_at) VALUES ($1, 1, $2)
       ON CONFLICT (key) DO UPDATE SET
         failures = CASE WHEN t.window_started_at < $3 THEN 1 ELSE t.failures + 1 END,
         window_started_at = CASE WHEN t.window_started_at < $3 THEN $2 ELSE t.window_started_at END,
         locked_until = CASE
           WHEN (CASE WHEN t.window_started_at < $3 THEN 1 ELSE t.failures + 1 END) >= $4 THEN $5
           ELSE t.locked_until END
       RETURNING failures, locked_until`,
      [key, now, windowStart, limit, lockUntil],
    ),
  clear: (key: string) => db.exec(`DELETE FROM login_throttle WHERE key = $1`, [key]),
});
