import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authService, loginPolicy, registerPolicy } from '../../shared/auth/service';
import type { Db } from '../../shared/db/db';
import { AppError } from '../../shared/errors';
import { testDb, usingRealPostgres } from '../helpers/db';

/**
 * The sign-in and registration throttles, against the service and the database directly (the
 * clock is ours to move; test/integration/auth.test.ts has the HTTP answers). The bursts only
 * prove atomicity on PostgreSQL (PGlite is one connection), but hold on both.
 */
let db: Db;
let now = new Date('2026-03-01T09:00:00Z');
const clock = { now: () => now };
const later = (ms: number) => {
  now = new Date(now.getTime() + ms);
};
let auth: ReturnType<typeof authService>;

let n = 0;
const email = (p = 'owner') => `${p}-${++n}@example.com`;
const client = (p = 'client') => `${p}-${++n}`;

type Outcome = { status: 200 | 401 | 429 | 409; retryAfter?: number };
async function attempt(run: () => Promise<unknown>): Promise<Outcome> {
  try {
    await run();
    return { status: 200 };
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    if (err.code === 'invalid_credentials') return { status: 401 };
    if (err.code === 'conflict') return { status: 409 };
    if (err.code === 'rate_limited') return { status: 429, retryAfter: err.options.retryAfterSeconds };
    throw err;
  }
}
const login = (address: string, who: string, password: string) =>
  attempt(() => auth.login({ email: who, password }, address));
const count = (outcomes: Outcome[], status: Outcome['status']) =>
  outcomes.filter((o) => o.status === status).length;

async function account(address = client('signup')) {
  const who = email();
  await auth.register({ email: who, password: 'right password' }, address);
  return who;
}

beforeAll(async () => {
  db = await testDb();
  auth = authService({ db, clock });
});
afterAll(() => db.close());

describe('sign-in throttle (count first, then check, in one statement)', () => {
  it('200 concurrent wrong passwords from one address: only the per-address limit reach the password check', async () => {
    const who = await account();
    const attacker = client('attacker');
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, (_, i) => login(attacker, who, `wrong ${i}`)),
    );
    // 401 is only ever answered after the password was checked.
    expect(count(outcomes, 401)).toBe(loginPolicy.perClientAndEmail.limit);
    expect(count(outcomes, 429)).toBe(200 - loginPolicy.perClientAndEmail.limit);
    expect(outcomes.every((o) => o.status !== 429 || (o.retryAfter ?? 0) > 0)).toBe(true);
    // the right password from the locked address is refused too, without being checked
    expect(await login(attacker, who, 'right password')).toMatchObject({ status: 429 });
  });

  it('a right password inside a burst of wrong ones cannot slip past the lock', async () => {
    const who = await account();
    const attacker = client('attacker');
    const limit = loginPolicy.perClientAndEmail.limit;
    for (let i = 0; i < limit; i++) expect(await login(attacker, who, `wrong ${i}`)).toEqual({ status: 401 });
    const burst = await Promise.all(
      Array.from({ length: 50 }, (_, i) => login(attacker, who, i === 25 ? 'right password' : `wrong ${i}`)),
    );
    expect(count(burst, 429)).toBe(50);
  });

  it.skipIf(!usingRealPostgres())(
    '200 concurrent wrong passwords from 200 addresses: only the per-account allowance reaches the check',
    async () => {
      const who = await account();
      const outcomes = await Promise.all(
        Array.from({ length: 200 }, (_, i) => login(client(`bot${i}`), who, `wrong ${i}`)),
      );
      expect(count(outcomes, 401)).toBe(loginPolicy.perEmail.free);
      expect(count(outcomes, 429)).toBe(200 - loginPolicy.perEmail.free);
    },
  );

  it('failures from one address lock that address only: the owner signs in from another', async () => {
    const who = await account();
    const attacker = client('attacker');
    for (let i = 0; i < 20; i++) await login(attacker, who, `wrong ${i}`);
    const locked = await login(attacker, who, 'right password');
    expect(locked.status).toBe(429);
    expect(locked.retryAfter).toBe(loginPolicy.perClientAndEmail.lockMs / 1000);
    expect(await login(client('owner-phone'), who, 'right password')).toEqual({ status: 200 });
    // and the attacker's lock ends after its time
    later(loginPolicy.perClientAndEmail.lockMs);
    expect(await login(attacker, who, 'right password')).toEqual({ status: 200 });
  });

  it('failures from many addresses only slow the account: a delay of seconds, growing, capped at a minute', async () => {
    const who = await account();
    const free = loginPolicy.perEmail.free;
    for (let i = 0; i < free; i++) expect(await login(client('bot'), who, 'wrong')).toEqual({ status: 401 });
    const waits: number[] = [];
    for (let i = 0; i < 10; i++) {
      const refused = await login(client('bot'), who, 'wrong');
      expect(refused.status).toBe(429);
      waits.push(refused.retryAfter!);
      later(refused.retryAfter! * 1000);
      expect(await login(client('bot'), who, 'wrong')).toEqual({ status: 401 });
    }
    expect(waits).toEqual([1, 2, 4, 8, 16, 32, 60, 60, 60, 60]);
    // the owner waits at most a minute, from any address, and is in
    const owner = client('owner');
    const slowed = await login(owner, who, 'right password');
    expect(slowed).toEqual({ status: 429, retryAfter: 60 });
    later(60_000);
    expect(await login(owner, who, 'right password')).toEqual({ status: 200 });
    // success resets the account's count
    expect(await login(client('bot'), who, 'wrong')).toEqual({ status: 401 });
    expect(await login(owner, who, 'right password')).toEqual({ status: 200 });
  });

  it('an address is locked after failures across many accounts, whatever the emails', async () => {
    const attacker = client('sprayer');
    const victim = await account();
    const limit = loginPolicy.perClient.limit;
    for (let i = 0; i < limit; i++)
      expect(await login(attacker, email('sprayed'), 'x')).toEqual({ status: 401 });
    expect((await login(attacker, victim, 'right password')).status).toBe(429);
    expect(await login(client('elsewhere'), victim, 'right password')).toEqual({ status: 200 });
  });

  it('a refusal by the account slowdown does not count against the owner’s own address', async () => {
    const who = await account();
    for (let i = 0; i < loginPolicy.perEmail.free; i++) await login(client('bot'), who, 'wrong');
    const owner = client('owner');
    // the owner, impatient, tries many times during the slowdown: all 429, none counted as failures
    for (let i = 0; i < 20; i++) expect((await login(owner, who, 'right password')).status).toBe(429);
    later(1000);
    expect(await login(owner, who, 'right password')).toEqual({ status: 200 });
  });

  it('a success from an address forgets that address’s failures for the account', async () => {
    const who = await account();
    const me = client('me');
    const limit = loginPolicy.perClientAndEmail.limit;
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < limit - 1; i++) expect(await login(me, who, 'typo')).toEqual({ status: 401 });
      expect(await login(me, who, 'right password')).toEqual({ status: 200 });
    }
  });
});

describe('registration throttle', () => {
  it('allows a limited number of registrations per address per hour, then 429 with Retry-After', async () => {
    const address = client('signup-farm');
    const limit = registerPolicy.perClient.limit;
    for (let i = 0; i < limit; i++) {
      expect(
        await attempt(() => auth.register({ email: email('farm'), password: 'right password' }, address)),
      ).toEqual({ status: 200 });
    }
    const refused = await attempt(() =>
      auth.register({ email: email('farm'), password: 'right password' }, address),
    );
    expect(refused.status).toBe(429);
    expect(refused.retryAfter).toBeGreaterThan(0);
    expect(refused.retryAfter).toBeLessThanOrEqual(registerPolicy.perClient.windowMs / 1000);
    // another address is not affected, and the first may register again an hour later
    expect(
      await attempt(() => auth.register({ email: email('elsewhere'), password: 'right password' }, client())),
    ).toEqual({ status: 200 });
    later(registerPolicy.perClient.windowMs);
    expect(
      await attempt(() => auth.register({ email: email('farm'), password: 'right password' }, address)),
    ).toEqual({ status: 200 });
  });

  it('a taken email counts as an attempt too (no free probing for accounts)', async () => {
    const address = client('prober');
    const taken = await account();
    const limit = registerPolicy.perClient.limit;
    for (let i = 0; i < limit; i++) {
      expect(
        await attempt(() => auth.register({ email: taken, password: 'right password' }, address)),
      ).toEqual({ status: 409 });
    }
    expect(
      (await attempt(() => auth.register({ email: taken, password: 'right password' }, address))).status,
    ).toBe(429);
  });

  it.skipIf(!usingRealPostgres())(
    '50 concurrent registrations from one address create at most the limit',
    async () => {
      const address = client('burst');
      const outcomes = await Promise.all(
        Array.from({ length: 50 }, () =>
          attempt(() => auth.register({ email: email('burst'), password: 'right password' }, address)),
        ),
      );
      expect(count(outcomes, 200)).toBe(registerPolicy.perClient.limit);
      expect(count(outcomes, 429)).toBe(50 - registerPolicy.perClient.limit);
      const created = await db.one<{ n: number }>(
        `SELECT count(*)::int AS n FROM users WHERE email LIKE 'burst-%'`,
      );
      expect(created.n).toBe(registerPolicy.perClient.limit);
    },
  );

  it('forgets throttle rows that hold nothing any more, and keeps the ones that still count', async () => {
    const stale = client('stale');
    const counting = client('counting');
    const locked = client('locked');
    for (const c of [stale, counting, locked]) {
      await attempt(() => auth.login({ email: email('nobody'), password: 'wrong password' }, c));
    }
    // Lock one address for good measure: the per-client limit of failures.
    for (let i = 0; i < loginPolicy.perClient.limit; i++) {
      await attempt(() => auth.login({ email: email('nobody'), password: 'wrong password' }, locked));
    }
    const keys = async () =>
      (await db.many<{ key: string }>(`SELECT key FROM login_throttle`)).map((r) => r.key).join(' ');
    expect(await keys()).toContain(stale);
    later(25 * 3600_000);
    // A fresh attempt after a day: its window is new, so its row must stay.
    await attempt(() => auth.login({ email: email('nobody'), password: 'wrong password' }, counting));
    await db.exec(`UPDATE login_throttle SET locked_until = $2 WHERE key LIKE $1`, [
      `%${locked}%`,
      new Date(now.getTime() + 600_000),
    ]);
    const swept = await auth.sweepThrottles();
    expect(swept).toBeGreaterThan(0);
    const left = await keys();
    expect(left).not.toContain(stale);
    expect(left).toContain(counting);
    expect(left).toContain(locked);
  });
});
