import type { Clock } from '../clock';
import type { RegisterBody, LoginBody, SettingsBody, User } from '../contracts/auth';
import type { Db } from '../db/db';
import { AppError } from '../errors';
import { newId } from '../ids';
import { burnPasswordCheck, hashPassword, verifyPassword } from './passwords';
import { sessionStore, throttleStore, userStore, type UserRow } from './store';
import { hashToken, newToken, sameSecret } from './tokens';

export const SESSION_COOKIE = 'gm_session';

export const sessionPolicy = {
  idleMs: 7 * 24 * 3600_000,
  absoluteMs: 30 * 24 * 3600_000,
  /** last_seen_at is written at most this often, so reads do not each cost a write. */
  touchEveryMs: 60_000,
};

export const loginPolicy = {
  windowMs: 15 * 60_000,
  lockMs: 15 * 60_000,
  perEmail: 5,
  perClient: 30,
};

export interface Session {
  user: User;
  csrfToken: string;
  tokenHash: string;
}

export interface IssuedSession {
  user: User;
  token: string;
  csrfToken: string;
  expiresAt: Date;
}

export function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    credits: Number(row.credits),
    memoryEnabled: row.memory_enabled,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

export type AuthService = ReturnType<typeof authService>;

export function authService(deps: {
  db: Db;
  clock: Clock;
  /** Runs in the transaction that creates the account (the welcome credit). */
  onRegistered?: (tx: Db, userId: string) => Promise<void>;
}) {
  const { db, clock } = deps;

  async function issueSession(row: UserRow): Promise<IssuedSession> {
    const now = clock.now();
    const token = newToken();
    const csrfToken = newToken();
    const expiresAt = new Date(now.getTime() + sessionPolicy.absoluteMs);
    await sessionStore(db).insert({
      token_hash: hashToken(token),
      user_id: row.id,
      csrf_token: csrfToken,
      created_at: now,
      last_seen_at: now,
      expires_at: expiresAt,
    });
    return { user: toUser(row), token, csrfToken, expiresAt };
  }

  async function throttled(key: string): Promise<number | null> {
    const row = await throttleStore(db).get(key);
    const now = clock.now().getTime();
    if (row?.locked_until && row.locked_until.getTime() > now) {
      return Math.ceil((row.locked_until.getTime() - now) / 1000);
    }
    return null;
  }

  async function recordFailure(key: string, limit: number) {
    const now = clock.now();
    await throttleStore(db).fail(
      key,
      now,
      new Date(now.getTime() - loginPolicy.windowMs),
      limit,
      new Date(now.getTime() + loginPolicy.lockMs),
    );
  }

  return {
    async register(input: RegisterBody): Promise<IssuedSession> {
      const passwordHash = await hashPassword(input.password);
      const row = await db.tx(async (tx) => {
        const created = await userStore(tx).insert({
          id: newId(),
          email: input.email,
          name: input.name ?? null,
          passwordHash,
          at: clock.now(),
        });
        if (!created) throw new AppError('conflict', 'An account with this email already exists');
        await deps.onRegistered?.(tx, created.id);
        return (await userStore(tx).byId(created.id))!;
      });
      return issueSession(row);
    },

    /** A new session every time (rotation): a token planted before login is worthless after it. */
    async login(input: LoginBody, clientKey: string): Promise<IssuedSession> {
      const emailKey = `email:${input.email}`;
      const ipKey = `client:${clientKey}`;
      for (const key of [emailKey, ipKey]) {
        const wait = await throttled(key);
        if (wait !== null) {
          throw new AppError('rate_limited', 'Too many failed sign-in attempts; try again later', {
            retryAfterSeconds: wait,
          });
        }
      }
      const row = await userStore(db).byEmail(input.email);
      const ok = row?.password_hash
        ? await verifyPassword(row.password_hash, input.password)
        : (await burnPasswordCheck(input.password), false);
      if (!row || !ok) {
        await recordFailure(emailKey, loginPolicy.perEmail);
        await recordFailure(ipKey, loginPolicy.perClient);
        throw new AppError('invalid_credentials', 'The email or password is not correct');
      }
      await throttleStore(db).clear(emailKey);
      return issueSession(row);
    },

    async logout(token: string): Promise<void> {
      await sessionStore(db).revoke(hashToken(token), clock.now());
    },

    /** The live session behind a cookie token, or null when absent, expired, idle or revoked. */
    async resolve(token: string): Promise<Session | null> {
      const now = clock.now();
      const tokenHash = hashToken(token);
      const row = await sessionStore(db).live(tokenHash, now, new Date(now.getTime() - sessionPolicy.idleMs));
      if (!row) return null;
      if (now.getTime() - new Date(row.last_seen_at).getTime() > sessionPolicy.touchEveryMs) {
        await sessionStore(db).touch(tokenHash, now);
      }
      return { user: toUser(row.user), csrfToken: row.csrf_token, tokenHash };
    },

    checkCsrf(session: Session, header: string | null): void {
      if (!header || !sameSecret(header, session.csrfToken)) {
        throw new AppError('csrf_failed', 'Missing or wrong X-CSRF-Token header');
      }
    },

    async updateSettings(userId: string, input: SettingsBody): Promise<User> {
      const row = await userStore(db).updateSettings(userId, input);
      if (!row) throw new AppError('unauthenticated', 'Sign in again');
      return toUser(row);
    },

    async user(userId: string): Promise<User> {
      const row = await userStore(db).byId(userId);
      if (!row) throw new AppError('unauthenticated', 'Sign in again');
      return toUser(row);
    },
  };
}
