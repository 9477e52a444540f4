import type { Clock } from '../clock';
import type {
  DeleteAccountBody,
  LoginBody,
  PasswordBody,
  RegisterBody,
  SettingsBody,
  User,
} from '../contracts/auth';
import type { Db } from '../db/db';
import { AppError } from '../errors';
import { newId } from '../ids';
import { burnPasswordCheck, hashPassword, verifyPassword } from './passwords';
import {
  identityStore,
  oauthFlowStore,
  sessionStore,
  throttleStore,
  userStore,
  type ThrottleRow,
  type ThrottleRule,
  type UserRow,
} from './store';
import { hashToken, newToken, sameSecret } from './tokens';

export const SESSION_COOKIE = 'gm_session';

export const sessionPolicy = {
  idleMs: 7 * 24 * 3600_000,
  absoluteMs: 30 * 24 * 3600_000,
  /** last_seen_at is written at most this often, so reads do not each cost a write. */
  touchEveryMs: 60_000,
};

/**
 * Sign-in throttling. Guessing is stopped where it comes from, never by locking the owner out:
 *
 * - per address and account (client + email): 5 failed tries in 15 minutes lock that address
 *   out of that account for 15 minutes;
 * - per address (client, any emails): 30 failed tries in 15 minutes lock the address out of
 *   signing in for 15 minutes;
 * - per account (email, from every address together): the first 10 failures in 15 minutes cost
 *   nothing; after that each try must wait 1 s, then 2 s, 4 s, ... at most 60 s after the one
 *   before (429 with Retry-After). The account is slowed, never locked: its owner, from another
 *   address, waits a minute at worst. A success resets the account's count.
 *
 * Each try is counted before its password is checked, by one statement per key (see
 * `throttleStore.take`), so a burst cannot race past a limit. A success forgets that
 * address's failures for the account and takes its try back from the address's count; a try
 * one key refused is taken back from the keys that had counted it, so waiting out a slowdown
 * never locks the owner's own address. Unknown emails count like known ones (no enumeration).
 */
export const loginPolicy = {
  perClientAndEmail: { limit: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000 },
  perClient: { limit: 30, windowMs: 15 * 60_000, lockMs: 15 * 60_000 },
  perEmail: { free: 10, windowMs: 15 * 60_000, firstDelayMs: 1_000, maxDelayMs: 60_000 },
};

/**
 * Registration throttling: 10 attempts per address per hour (counted before the password is
 * hashed, a taken email included); the 10th closes registration from that address for an
 * hour (429 with Retry-After).
 */
export const registerPolicy = {
  perClient: { limit: 10, windowMs: 3600_000 },
};

/**
 * Checks of the current password by a signed-in user (changing it, deleting the account): 5
 * wrong ones in 15 minutes lock those checks for that account for 15 minutes, so a stolen
 * session cannot guess its way to the password.
 */
export const currentPasswordPolicy = { perUser: { limit: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000 } };

export interface AuthPolicy {
  login: typeof loginPolicy;
  register: typeof registerPolicy;
}

const lockRule = (p: { limit: number; windowMs: number; lockMs: number }): ThrottleRule => ({
  windowMs: p.windowMs,
  threshold: p.limit,
  delayMs: p.lockMs,
  maxDelayMs: p.lockMs,
});

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

const PROVIDERS = new Set<string>(['google', 'microsoft']);

export function toUser(row: UserRow): User {
  const providers = (row.providers ?? []).filter((p): p is 'google' | 'microsoft' => PROVIDERS.has(p));
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    credits: Number(row.credits),
    memoryEnabled: row.memory_enabled,
    monthlySpendCapCredits:
      row.monthly_spend_cap_credits === null ? null : Number(row.monthly_spend_cap_credits),
    lowBalanceCredits: row.low_balance_credits === null ? null : Number(row.low_balance_credits),
    identities: [...(row.password_hash ? (['password'] as const) : []), ...providers],
    createdAt: new Date(row.created_at).toISOString(),
  };
}

/**
 * A new session for the account: a fresh random token (stored hashed) and CSRF token. Every
 * sign-in, by password or provider, goes through here.
 */
export async function issueSession(db: Db, clock: Clock, row: UserRow): Promise<IssuedSession> {
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

/** The live session behind a cookie token, or null when absent, expired, idle or revoked. */
export async function resolveSession(db: Db, clock: Clock, token: string): Promise<Session | null> {
  const now = clock.now();
  const tokenHash = hashToken(token);
  const row = await sessionStore(db).live(tokenHash, now, new Date(now.getTime() - sessionPolicy.idleMs));
  if (!row) return null;
  if (now.getTime() - new Date(row.last_seen_at).getTime() > sessionPolicy.touchEveryMs) {
    await sessionStore(db).touch(tokenHash, now);
  }
  return { user: toUser(row.user), csrfToken: row.csrf_token, tokenHash };
}

export type AuthService = ReturnType<typeof authService>;

const inWords = (seconds: number) =>
  seconds >= 90 ? `${Math.ceil(seconds / 60)} minutes` : `${seconds} second${seconds === 1 ? '' : 's'}`;

const refused = (message: string, seconds: number) =>
  new AppError('rate_limited', message, { retryAfterSeconds: seconds });

export function authService(deps: {
  db: Db;
  clock: Clock;
  /** Runs in the transaction that creates the account (the welcome credit). */
  onRegistered?: (tx: Db, userId: string) => Promise<void>;
  /** Runs in the transaction that deletes the account, first: what other features own goes here. */
  onAccountDeleted?: (tx: Db, userId: string) => Promise<void>;
  /**
   * Runs before that transaction, for what lives outside the database or in a store of its own
   * (documents' blobs, chunks and vectors). If the deletion then fails, that data is gone anyway,
   * which is what the user asked for.
   */
  purgeBeforeAccountDeleted?: (userId: string) => Promise<void>;
  /** The throttles' numbers; the defaults above unless a deployment (or a test) says otherwise. */
  policy?: { login?: Partial<AuthPolicy['login']>; register?: Partial<AuthPolicy['register']> };
}) {
  const { db, clock } = deps;
  const login = { ...loginPolicy, ...deps.policy?.login };
  const register = { ...registerPolicy, ...deps.policy?.register };
  const rules = {
    pair: lockRule(login.perClientAndEmail),
    client: lockRule(login.perClient),
    email: {
      windowMs: login.perEmail.windowMs,
      threshold: login.perEmail.free,
      delayMs: login.perEmail.firstDelayMs,
      maxDelayMs: login.perEmail.maxDelayMs,
    },
    register: lockRule({ ...register.perClient, lockMs: register.perClient.windowMs }),
    currentPassword: lockRule(currentPasswordPolicy.perUser),
  } satisfies Record<string, ThrottleRule>;

  const newSession = (row: UserRow) => issueSession(db, clock, row);

  /** Seconds until a closed key opens (at least 1: Retry-After 0 would invite a hot loop). */
  async function secondsUntilOpen(key: string): Promise<number> {
    const until = await throttleStore(db).lockedUntil(key);
    return Math.max(1, Math.ceil(((until?.getTime() ?? 0) - clock.now().getTime()) / 1000));
  }

  type Taken = { key: string; rule: ThrottleRule; row: ThrottleRow };

  /**
   * Counts one attempt against each key in turn; refuses with 429 at the first key that is
   * closed, taking the attempt back from the keys before it (it never went ahead).
   */
  async function pass(
    keys: { key: string; rule: ThrottleRule }[],
    refusal: (key: string, seconds: number) => AppError,
  ): Promise<Taken[]> {
    const taken: Taken[] = [];
    for (const { key, rule } of keys) {
      const row = await throttleStore(db).take(key, rule, clock.now());
      if (!row) {
        for (const t of taken) await throttleStore(db).release(t.key, t.rule, t.row.window_started_at);
        throw refusal(key, await secondsUntilOpen(key));
      }
      taken.push({ key, rule, row });
    }
    return taken;
  }

  /**
   * The signed-in user proves the account's password again (to change it, to delete the
   * account). Counted before the check, like sign-in; a right one takes its try back.
   */
  async function checkCurrentPassword(row: UserRow, password: string | undefined): Promise<void> {
    if (!password) {
      throw new AppError('invalid_request', 'Enter your current password: this account has one.');
    }
    const [taken] = await pass(
      [{ key: `password:user:${row.id}`, rule: rules.currentPassword }],
      (_k, seconds) => refused(`Too many wrong passwords. Try again in ${inWords(seconds)}.`, seconds),
    );
    if (!(await verifyPassword(row.password_hash!, password))) {
      throw new AppError(
        'invalid_credentials',
        'The current password is not correct. Check it and try again.',
      );
    }
    if (taken) await throttleStore(db).release(taken.key, taken.rule, taken.row.window_started_at);
  }

  return {
    /** Deletes throttle rows that no longer hold anything (the longest window is an hour; a day is safe). */
    sweepThrottles: () => throttleStore(db).sweep(new Date(clock.now().getTime() - 86_400_000), clock.now()),

    /** `clientKey` is the client's address as the platform reports it (trusted, never client-chosen). */
    async register(input: RegisterBody, clientKey: string): Promise<IssuedSession> {
      await pass([{ key: `register:client:${clientKey}`, rule: rules.register }], (_key, seconds) =>
        refused(
          `Too many accounts have been created from your network. Try again in ${inWords(seconds)}.`,
          seconds,
        ),
      );
      const passwordHash = await hashPassword(input.password);
      const row = await db.tx(async (tx) => {
        const created = await userStore(tx).insert({
          id: newId(),
          email: input.email,
          name: input.name ?? null,
          passwordHash,
          at: clock.now(),
        });
        if (!created) {
          throw new AppError(
            'conflict',
            'An account with this email already exists. Sign in instead, or use another email.',
          );
        }
        await deps.onRegistered?.(tx, created.id);
        return (await userStore(tx).byId(created.id))!;
      });
      return newSession(row);
    },

    /**
     * A new session every time (rotation): a token planted before login is worthless after it.
     * `clientKey` is the client's address as the platform reports it. See `loginPolicy`.
     */
    async login(input: LoginBody, clientKey: string): Promise<IssuedSession> {
      const pairKey = `login:pair:${JSON.stringify([clientKey, input.email])}`;
      const clientKeyName = `login:client:${clientKey}`;
      const emailKey = `login:email:${input.email}`;
      const [, client] = await pass(
        [
          { key: pairKey, rule: rules.pair },
          { key: clientKeyName, rule: rules.client },
          { key: emailKey, rule: rules.email },
        ],
        (key, seconds) =>
          refused(
            key === emailKey
              ? `There have been many failed sign-in attempts for this account. Wait ${inWords(seconds)} and try again.`
              : `Too many failed sign-in attempts from your network. Try again in ${inWords(seconds)}.`,
            seconds,
          ),
      );
      const row = await userStore(db).byEmail(input.email);
      const ok = row?.password_hash
        ? await verifyPassword(row.password_hash, input.password)
        : (await burnPasswordCheck(input.password), false);
      if (!row || !ok) {
        throw new AppError(
          'invalid_credentials',
          'The email or password is not correct. Check both and try again.',
        );
      }
      await throttleStore(db).clear(pairKey);
      await throttleStore(db).clear(emailKey);
      if (client) await throttleStore(db).release(client.key, client.rule, client.row.window_started_at);
      return newSession(row);
    },

    async logout(token: string): Promise<void> {
      await sessionStore(db).revoke(hashToken(token), clock.now());
    },

    /** The live session behind a cookie token, or null when absent, expired, idle or revoked. */
    resolve: (token: string) => resolveSession(db, clock, token),

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

    /**
     * Sets a password on an account that has none (signed up through a provider), or changes
     * it after checking the current one. A change signs out every other session of the account.
     */
    async setPassword(session: Session, input: PasswordBody): Promise<User> {
      const row = await userStore(db).byId(session.user.id);
      if (!row) throw new AppError('unauthenticated', 'Sign in again');
      if (row.password_hash) await checkCurrentPassword(row, input.currentPassword);
      const passwordHash = await hashPassword(input.newPassword);
      return db.tx(async (tx) => {
        // Changed meanwhile (another tab set one): the check above was against another password.
        const swapped = await userStore(tx).swapPasswordHash(row.id, row.password_hash, passwordHash);
        if (!swapped) {
          throw new AppError(
            'conflict',
            'Your password was changed meanwhile. Reload the page and try again.',
          );
        }
        await sessionStore(tx).revokeOthers(row.id, session.tokenHash, clock.now());
        return toUser((await userStore(tx).byId(row.id))!);
      });
    },

    /**
     * Deletes the account: the password is asked for exactly when it has one. Conversations
     * (with their messages and replies), sessions and linked provider accounts go; the row stays
     * without email, name or password, so the ledger and purchases still add up.
     */
    async deleteAccount(session: Session, input: DeleteAccountBody): Promise<void> {
      const row = await userStore(db).byId(session.user.id);
      if (!row) throw new AppError('unauthenticated', 'Sign in again');
      if (row.password_hash) await checkCurrentPassword(row, input.password);
      await deps.purgeBeforeAccountDeleted?.(row.id);
      await db.tx(async (tx) => {
        const locked = await userStore(tx).byIdForUpdate(row.id);
        if (!locked || locked.password_hash !== row.password_hash) {
          throw new AppError(
            'conflict',
            'Your password was changed meanwhile. Reload the page and try again.',
          );
        }
        await deps.onAccountDeleted?.(tx, row.id);
        await userStore(tx).deleteConversations(row.id);
        await identityStore(tx).deleteAll(row.id);
        await oauthFlowStore(tx).deleteAll(row.id);
        await sessionStore(tx).deleteAll(row.id);
        await userStore(tx).anonymize(row.id, clock.now());
      });
    },

    async user(userId: string): Promise<User> {
      const row = await userStore(db).byId(userId);
      if (!row) throw new AppError('unauthenticated', 'Sign in again');
      return toUser(row);
    },
  };
}
