import net from 'node:net';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config';
import { entraPassword, POSTGRES_ENTRA_SCOPE, tokenConnection, TOKEN_REFRESH_MARGIN_MS } from './entra';
import { openDb } from './open';

/** Stands in for Microsoft Entra ID: numbered tokens, each valid for an hour from `clock.now`. */
function fakeEntra(clock = { now: Date.now() }) {
  const asked: string[] = [];
  let issued = 0;
  let fail = false;
  const credential: TokenCredential = {
    getToken(scope: string | string[]): Promise<AccessToken | null> {
      asked.push(...[scope].flat());
      if (fail) return Promise.reject(new Error('ManagedIdentityCredential: no identity endpoint'));
      issued++;
      return Promise.resolve({ token: `entra-token-${issued}`, expiresOnTimestamp: clock.now + 3600_000 });
    },
  };
  return {
    credential,
    asked,
    clock,
    failNext: (v: boolean) => (fail = v),
    get issued() {
      return issued;
    },
  };
}

describe('DATABASE_AUTH', () => {
  const refused = (env: Record<string, string>) => {
    try {
      loadConfig(env);
      return '';
    } catch (err) {
      return String(err);
    }
  };

  it('is the password in DATABASE_URL unless set to entra', () => {
    expect(loadConfig({}).DATABASE_AUTH).toBe('password');
    expect(loadConfig({ DATABASE_AUTH: '' }).DATABASE_AUTH).toBe('password');
    const c = loadConfig({
      DATABASE_AUTH: 'entra',
      DATABASE_URL:
        'postgresql://func-gloria@psql-gloria.postgres.database.azure.com:5432/gloriamundo?sslmode=require',
    });
    expect(c.DATABASE_AUTH).toBe('entra');
  });

  it('with entra, refuses a URL with a password or without the identity as user, and no URL', () => {
    expect(refused({ DATABASE_AUTH: 'entra' })).toContain('DATABASE_URL: required with DATABASE_AUTH=entra');
    expect(
      refused({ DATABASE_AUTH: 'entra', DATABASE_URL: 'postgresql://app:hunter2@db.example:5432/gm' }),
    ).toContain('DATABASE_URL: no password with DATABASE_AUTH=entra');
    expect(refused({ DATABASE_AUTH: 'entra', DATABASE_URL: 'postgresql://db.example:5432/gm' })).toContain(
      "DATABASE_URL: with DATABASE_AUTH=entra, the user is the app identity's name",
    );
    expect(refused({ DATABASE_AUTH: 'token' })).toMatch(/DATABASE_AUTH: /);
  });
});

describe('Entra tokens as passwords', () => {
  it("asks for the PostgreSQL server's audience and reuses a token until shortly before it ends", async () => {
    const entra = fakeEntra();
    const password = entraPassword(entra.credential, () => entra.clock.now);
    expect(await Promise.all([password(), password()])).toEqual(['entra-token-1', 'entra-token-1']);
    entra.clock.now += 3600_000 - TOKEN_REFRESH_MARGIN_MS - 1000;
    expect(await password()).toBe('entra-token-1');
    entra.clock.now += 2000;
    expect(await password()).toBe('entra-token-2');
    expect(entra.asked).toEqual([POSTGRES_ENTRA_SCOPE, POSTGRES_ENTRA_SCOPE]);
    expect(POSTGRES_ENTRA_SCOPE).toBe('https://ossrdbms-aad.database.windows.net/.default');
  });

  it('asks again after a failed request instead of keeping the failure', async () => {
    const entra = fakeEntra();
    const password = entraPassword(entra.credential, () => entra.clock.now);
    entra.failNext(true);
    await expect(password()).rejects.toThrow(/no identity endpoint/);
    entra.failNext(false);
    expect(await password()).toBe('entra-token-1');
  });

  it("keeps the URL's user, host, database and TLS, and takes the password from the function", async () => {
    const password = () => Promise.resolve('t');
    const config = tokenConnection(
      'postgresql://func-gloria@psql-gloria.postgres.database.azure.com:5432/gloriamundo?sslmode=verify-full',
      password,
    );
    expect(config).toMatchObject({
      user: 'func-gloria',
      host: 'psql-gloria.postgres.database.azure.com',
      port: 5432,
      database: 'gloriamundo',
      password,
    });
    expect(config.ssl).toBeTruthy();
  });
});

/**
 * The sign-in Azure Database for PostgreSQL does with Entra: it asks for a cleartext password and
 * checks it is a valid token for the user. Here a proxy does that check, then hands the connection
 * to the real PostgreSQL of TEST_DATABASE_URL (as its own user, since that server trusts).
 */
async function tokenCheckingProxy(upstreamUrl: string, accepts: (user: string, token: string) => boolean) {
  const upstream = new URL(upstreamUrl);
  const signIns: { user: string; password: string; accepted: boolean }[] = [];
  const cstr = (s: string) => Buffer.from(`${s}\0`, 'utf8');
  const startup = (params: Record<string, string>) => {
    const body = Buffer.concat([
      Buffer.from([0, 3, 0, 0]),
      ...Object.entries(params).flatMap(([k, v]) => [cstr(k), cstr(v)]),
      Buffer.from([0]),
    ]);
    const len = Buffer.alloc(4);
    len.writeInt32BE(body.length + 4);
    return Buffer.concat([len, body]);
  };
  const message = (type: string, body: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeInt32BE(body.length + 4);
    return Buffer.concat([Buffer.from(type), len, body]);
  };
  const server = net.createServer((client) => {
    let buffered = Buffer.alloc(0);
    let user = '';
    let stage: 'startup' | 'password' | 'piped' = 'startup';
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (stage === 'startup' && buffered.length >= 4 && buffered.length >= buffered.readInt32BE(0)) {
        const parts = buffered.subarray(8, buffered.readInt32BE(0)).toString('utf8').split('\0');
        for (let i = 0; i + 1 < parts.length; i += 2) if (parts[i] === 'user') user = parts[i + 1]!;
        buffered = buffered.subarray(buffered.readInt32BE(0));
        stage = 'password';
        const ask = Buffer.alloc(4);
        ask.writeInt32BE(3); // AuthenticationCleartextPassword
        client.write(message('R', ask));
      }
      if (stage === 'password' && buffered.length >= 5 && buffered.length >= 1 + buffered.readInt32BE(1)) {
        const password = buffered
          .subarray(5, 1 + buffered.readInt32BE(1))
          .toString('utf8')
          .replace(/\0$/, '');
        const accepted = accepts(user, password);
        signIns.push({ user, password, accepted });
        if (!accepted) {
          const fields = ['SFATAL', 'VFATAL', 'C28P01', `Mpassword authentication failed for user "${user}"`];
          client.end(message('E', Buffer.concat([...fields.map(cstr), Buffer.from([0])])));
          return;
        }
        stage = 'piped';
        client.off('data', onData);
        client.pause();
        const db = net.connect({ host: upstream.hostname, port: Number(upstream.port || 5432) }, () => {
          db.write(
            startup({
              user: decodeURIComponent(upstream.username) || 'postgres',
              database: upstream.pathname.slice(1),
            }),
          );
          client.pipe(db).pipe(client);
          client.resume();
        });
        db.on('error', () => client.destroy());
        client.on('error', () => db.destroy());
      }
    };
    client.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    signIns,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe.skipIf(!process.env.TEST_DATABASE_URL)(
  'a pool signing in with Entra tokens (real PostgreSQL)',
  () => {
    let proxy: Awaited<ReturnType<typeof tokenCheckingProxy>>;
    let valid = new Set<string>();
    beforeAll(async () => {
      proxy = await tokenCheckingProxy(
        process.env.TEST_DATABASE_URL!,
        (user, token) => user === 'func-gloria' && valid.has(token),
      );
    });
    afterAll(() => proxy?.close());

    it('sends a current token as each new connection’s password, and is refused with a stale one', async () => {
      const entra = fakeEntra();
      const password = entraPassword(entra.credential, () => entra.clock.now);
      valid = new Set(['entra-token-1']);
      const db = await openDb({
        databaseUrl: `postgresql://func-gloria@127.0.0.1:${proxy.port}/postgres`,
        password,
        migrate: false,
      });
      try {
        // Two connections at once: each signs in, both with the one token fetched.
        const [a, b] = await Promise.all([
          db.tx((tx) => tx.one<{ n: number }>('SELECT 1 AS n, pg_sleep(0.05)')),
          db.tx((tx) => tx.one<{ n: number }>('SELECT 2 AS n, pg_sleep(0.05)')),
        ]);
        expect([a.n, b.n]).toEqual([1, 2]);
        expect(proxy.signIns.map((s) => [s.user, s.password, s.accepted])).toEqual([
          ['func-gloria', 'entra-token-1', true],
          ['func-gloria', 'entra-token-1', true],
        ]);
        expect(entra.issued).toBe(1);
      } finally {
        await db.close();
      }

      // An hour on, the server takes only the new token: a fresh pool signs in with it.
      entra.clock.now += 3600_000;
      valid = new Set(['entra-token-2']);
      const later = await openDb({
        databaseUrl: `postgresql://func-gloria@127.0.0.1:${proxy.port}/postgres`,
        password,
        migrate: false,
      });
      try {
        expect((await later.one<{ ok: boolean }>('SELECT true AS ok')).ok).toBe(true);
        expect(proxy.signIns.at(-1)).toEqual({
          user: 'func-gloria',
          password: 'entra-token-2',
          accepted: true,
        });
      } finally {
        await later.close();
      }

      // A token the server does not take is its refusal, passed on as is.
      const stale = await openDb({
        databaseUrl: `postgresql://func-gloria@127.0.0.1:${proxy.port}/postgres`,
        password: () => Promise.resolve('entra-token-1'),
        migrate: false,
      });
      try {
        await expect(stale.one('SELECT 1')).rejects.toThrow(
          /password authentication failed for user "func-gloria"/,
        );
      } finally {
        await stale.close();
      }
    });
  },
);
