import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDb } from '../../test/helpers/db';
import { ledgerStore } from '../billing/ledger';
import { creditMetering, type ReplyModel } from '../billing/metering';
import type { Db } from '../db/db';
import { chatStore } from './store';

/**
 * A reply's start in one round trip: the reservation is decided on the facts the context query
 * read, and the statement that writes the reply takes the hold only if those facts still hold.
 */
const paid: ReplyModel = {
  id: 'test/paid',
  name: 'Paid',
  contextLength: 8000,
  promptPrice: '0.000001',
  completionPrice: '0.000002',
  vision: false,
  reasoning: false,
  supportedParameters: [],
  free: false,
};
const free: ReplyModel = {
  ...paid,
  id: 'test/free:free',
  name: 'Free',
  promptPrice: '0',
  completionPrice: '0',
  free: true,
};

let db: Db;
const now = new Date('2026-11-25T12:00:00Z');
const metering = creditMetering({
  markup: 2,
  clock: { now: () => now },
  limits: {
    maxConcurrentStreams: 3,
    freePerMinute: 10,
    freePerDay: 100,
    holdTtlMs: 600_000,
    abandonedAfterMs: 60_000,
    minReplyTokens: 256,
    apiKeyPerMinute: 60,
    apiKeyMaxConcurrentStreams: 5,
  },
});

beforeAll(async () => {
  db = await testDb();
  await db.exec(`INSERT INTO users (id, email) VALUES ('u1', 'u1@example.com')`);
  await db.tx((tx) =>
    ledgerStore(tx).apply({ userId: 'u1', kind: 'grant', credits: 10_000, reference: 'seed', at: now }),
  );
  for (const c of ['c1', 'c2', 'c3'])
    await db.exec(
      `INSERT INTO conversations (id, user_id, created_at, updated_at) VALUES ($1, 'u1', $2, $2)`,
      [c, now],
    );
});
afterAll(() => db.close());

const context = (conversationId: string) =>
  chatStore(db).replyContext('u1', conversationId, { kind: 'active' }, metering.factWindows(now));

const start = (conversationId: string, n: number) => ({
  question: { id: `q${n}`, parentId: null, content: 'hello', imageIds: [] },
  replyId: `r${n}`,
  replyParentId: `q${n}`,
  generationId: `g${n}`,
  conversationId,
  userId: 'u1',
  model: paid.id,
  promptTokens: 100,
  citations: [],
  at: now,
});

const count = async (sql: string, params: unknown[] = []) =>
  Number((await db.one<{ n: number }>(sql, params)).n);

describe('a reply started in one statement', () => {
  it('takes the hold the plan decided, with the reply length on its rows', async () => {
    const ctx = (await context('c1'))!;
    expect(ctx.limits).toMatchObject({ credits: 10_000, held: 0, active: 0, cap: null });
    const plan = metering.plan({ userId: 'u1', model: paid, promptTokens: 100, maxTokens: 1000 }, ctx.limits);
    // (100 × 1e-6 + 1000 × 2e-6) US$ × 100,000 credits/US$ × 2
    expect(plan.hold).toBe(420);
    expect(
      await chatStore(db).startReply({ ...start('c1', 1), held: { version: ctx.limits.version, ...plan } }),
    ).toBe(true);
    expect(await db.one(`SELECT held FROM users WHERE id = 'u1'`)).toEqual({ held: 420 });
    expect(await db.one(`SELECT credits FROM holds WHERE generation_id = 'g1'`)).toEqual({ credits: 420 });
    expect(await db.one(`SELECT max_tokens, free, status FROM generations WHERE id = 'g1'`)).toEqual({
      max_tokens: 1000,
      free: false,
      status: 'streaming',
    });
    expect(await db.one(`SELECT max_tokens FROM messages WHERE id = 'r1'`)).toEqual({ max_tokens: 1000 });
    expect(await db.one(`SELECT active_message_id FROM conversations WHERE id = 'c1'`)).toEqual({
      active_message_id: 'r1',
    });
    // The next context sees it: one stream, the credits held.
    expect((await context('c2'))!.limits).toMatchObject({ held: 420, active: 1 });
  });

  it('writes nothing when another start changed the balance row after the facts were read', async () => {
    const a = (await context('c2'))!;
    const b = (await context('c3'))!;
    expect(a.limits.version).toBe(b.limits.version);
    const want = { userId: 'u1', model: paid, promptTokens: 100, maxTokens: 1000 };
    const held = (ctx: typeof a) => ({ version: ctx.limits.version, ...metering.plan(want, ctx.limits) });
    expect(await chatStore(db).startReply({ ...start('c2', 2), held: held(a) })).toBe(true);
    const before = {
      messages: await count(`SELECT count(*) AS n FROM messages`),
      holds: await count(`SELECT count(*) AS n FROM holds`),
      held: await count(`SELECT held AS n FROM users WHERE id = 'u1'`),
    };
    // Decided on the same facts as the start that just went through: refused, nothing written.
    expect(await chatStore(db).startReply({ ...start('c3', 3), held: held(b) })).toBe(false);
    expect(await count(`SELECT count(*) AS n FROM messages`)).toBe(before.messages);
    expect(await count(`SELECT count(*) AS n FROM holds`)).toBe(before.holds);
    expect(await count(`SELECT held AS n FROM users WHERE id = 'u1'`)).toBe(before.held);
    expect(await count(`SELECT count(*) AS n FROM generations WHERE id = 'g3'`)).toBe(0);
    expect(await db.one(`SELECT active_message_id FROM conversations WHERE id = 'c3'`)).toEqual({
      active_message_id: null,
    });
  });

  it('a free reply holds nothing but still moves the version, so the stream cap cannot be raced', async () => {
    // Two streams run (g1, g2); the cap is 3. Two free starts decided on the same facts:
    const x = (await context('c3'))!;
    expect(x.limits.active).toBe(2);
    const plan = metering.plan({ userId: 'u1', model: free, promptTokens: 100, maxTokens: 500 }, x.limits);
    expect(plan).toMatchObject({ hold: 0, free: true });
    const held = { version: x.limits.version, ...plan };
    expect(await chatStore(db).startReply({ ...start('c3', 4), model: free.id, held })).toBe(true);
    expect(await db.one(`SELECT free FROM generations WHERE id = 'g4'`)).toEqual({ free: true });
    expect(await count(`SELECT count(*) AS n FROM holds WHERE generation_id = 'g4'`)).toBe(0);
    expect(await chatStore(db).startReply({ ...start('c3', 5), model: free.id, held })).toBe(false);
    // Read again, the facts show the cap reached, and the plan refuses.
    const y = (await context('c3'))!;
    expect(y.limits.active).toBe(3);
    expect(() =>
      metering.plan({ userId: 'u1', model: free, promptTokens: 100, maxTokens: 500 }, y.limits),
    ).toThrow(/3 replies streaming at once/);
  });
});
