import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDb } from '../../test/helpers/db';
import type { Db } from '../db/db';
import { AppError } from '../errors';
import { ledgerStore } from './ledger';
import { creditMetering, type ReplyModel } from './metering';

const model: ReplyModel = {
  id: 'test/model',
  name: 'Test',
  contextLength: 8000,
  promptPrice: '0.000001',
  completionPrice: '0.000002',
  vision: false,
  reasoning: false,
  supportedParameters: [],
  free: false,
};

let db: Db;
let now = new Date('2026-11-25T12:00:00Z');
const clock = { now: () => now };
const metering = creditMetering({
  markup: 2,
  clock,
  limits: {
    maxConcurrentStreams: 10,
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
});
afterAll(() => db.close());

const user = () =>
  db.one<{ credits: number; held: number }>(`SELECT credits, held FROM users WHERE id = 'u1'`);

describe('credit metering', () => {
  it('holds the worst case: (100 prompt + 1000 completion tokens) at the price × 2', async () => {
    await db.tx((tx) =>
      metering.reserve(tx, { userId: 'u1', generationId: 'g1', model, promptTokens: 100, maxTokens: 1000 }),
    );
    // (100 × 1e-6 + 1000 × 2e-6) US$ × 100,000 credits/US$ × 2 = 420
    expect(await user()).toEqual({ credits: 10_000, held: 420 });
  });

  it('caps the reply at what the balance can hold instead of refusing it', async () => {
    // 9,580 available; the prompt's 100 tokens cost 20 credits and each reply token 0.4:
    // (9,580 − 20) / 0.4 = 23,900 reply tokens, where 100,000 were asked for.
    const r = await db.tx((tx) =>
      metering.reserve(tx, {
        userId: 'u1',
        generationId: 'g2',
        model,
        promptTokens: 100,
        maxTokens: 100_000,
      }),
    );
    expect(r).toEqual({ maxTokens: 23_900, hold: 9_580, capped: true });
    expect(await user()).toEqual({ credits: 10_000, held: 10_000 });
    await db.tx((tx) => metering.release(tx, { userId: 'u1', generationId: 'g2' }));
    expect(await user()).toEqual({ credits: 10_000, held: 420 });
  });

  it('refuses, naming the need, when not even MIN_REPLY_TOKENS fit, and changes nothing', async () => {
    const dear = { ...model, id: 'test/dear', name: 'Dear', completionPrice: '0.0002' };
    // 256 reply tokens at 40 credits each = 10,240 + 20 for the prompt, with 9,580 available.
    await expect(
      db.tx((tx) =>
        metering.reserve(tx, {
          userId: 'u1',
          generationId: 'g2b',
          model: dear,
          promptTokens: 100,
          maxTokens: 4096,
        }),
      ),
    ).rejects.toMatchObject({
      code: 'insufficient_credits',
      message: expect.stringContaining('10,260 credits') as string,
    } satisfies Partial<AppError>);
    expect(await user()).toEqual({ credits: 10_000, held: 420 });
  });

  it('a crashed reply (never settled) is released by the sweeper once its hold expires, and only then', async () => {
    expect(await metering.sweepExpired(db)).toBe(0);
    expect((await user()).held).toBe(420);
    now = new Date(now.getTime() + 600_001);
    expect(await metering.sweepExpired(db)).toBe(1);
    expect(await user()).toEqual({ credits: 10_000, held: 0 });
    expect(await db.many(`SELECT 1 FROM holds`)).toHaveLength(0);
  });

  it('settling releases the hold and charges the real cost once, however often it is called', async () => {
    await db.tx((tx) =>
      metering.reserve(tx, { userId: 'u1', generationId: 'g3', model, promptTokens: 100, maxTokens: 1000 }),
    );
    const usage = { promptTokens: 90, completionTokens: 10, costUsd: 0.000123 };
    const first = await db.tx((tx) =>
      metering.settle(tx, { userId: 'u1', generationId: 'g3', model, usage }),
    );
    const again = await db.tx((tx) =>
      metering.settle(tx, { userId: 'u1', generationId: 'g3', model, usage }),
    );
    expect(first).toBe(25); // 0.000123 × 100,000 × 2 = 24.6 → rounded up
    expect(again).toBe(0);
    expect(await user()).toEqual({ credits: 10_000 - 25, held: 0 });
    const ledger = await db.many(`SELECT kind, credits FROM ledger WHERE user_id = 'u1' AND kind = 'usage'`);
    expect(ledger).toEqual([{ kind: 'usage', credits: -25 }]);
  });

  it('never charges more than the hold, and records the rest as a loss the operator can query', async () => {
    await db.tx((tx) =>
      metering.reserve(tx, { userId: 'u1', generationId: 'g4', model, promptTokens: 100, maxTokens: 1000 }),
    );
    // The upstream says it cost US$0.01 (2,000 credits with the markup); the hold was 420.
    const usage = { promptTokens: 100, completionTokens: 1000, costUsd: 0.01 };
    const charged = await db.tx((tx) =>
      metering.settle(tx, { userId: 'u1', generationId: 'g4', model, usage }),
    );
    expect(charged).toBe(420);
    expect(await user()).toEqual({ credits: 10_000 - 25 - 420, held: 0 });
    expect(
      await db.one(
        `SELECT credits, hold_credits, loss_credits FROM usage_records WHERE reference = 'reply:g4'`,
      ),
    ).toEqual({ credits: 420, hold_credits: 420, loss_credits: 1580 });
  });

  it('charges an internal call at most the balance: never below zero, the rest a loss', async () => {
    await db.exec(`INSERT INTO users (id, email, credits) VALUES ('u2', 'u2@example.com', 30)`);
    // US$0.001 × 100,000 credits per dollar × 2 = 200 credits; the balance is 30.
    const usage = { promptTokens: 1000, completionTokens: 500, costUsd: 0.001 };
    const charged = await db.tx((tx) =>
      metering.charge(tx, { userId: 'u2', reference: 'title:c1', purpose: 'title', model, usage }),
    );
    expect(charged).toBe(30);
    expect(await db.one(`SELECT credits, held FROM users WHERE id = 'u2'`)).toEqual({ credits: 0, held: 0 });
    expect(await db.many(`SELECT credits, balance_after FROM ledger WHERE user_id = 'u2'`)).toEqual([
      { credits: -30, balance_after: 0 },
    ]);
    expect(
      await db.one(
        `SELECT credits, hold_credits, loss_credits FROM usage_records WHERE reference = 'title:c1'`,
      ),
    ).toEqual({ credits: 30, hold_credits: null, loss_credits: 170 });
  });

  it('50 settlements of one user at once: each charged once, the balance equals the ledger', async () => {
    await db.exec(`INSERT INTO users (id, email) VALUES ('u3', 'u3@example.com')`);
    await db.tx((tx) =>
      ledgerStore(tx).apply({ userId: 'u3', kind: 'grant', credits: 100_000, reference: 'seed-u3', at: now }),
    );
    const ids = Array.from({ length: 50 }, (_, i) => `cg${i}`);
    for (const id of ids) {
      await db.tx((tx) =>
        metering.reserve(tx, { userId: 'u3', generationId: id, model, promptTokens: 100, maxTokens: 1000 }),
      );
    }
    expect(await db.one(`SELECT held FROM users WHERE id = 'u3'`)).toEqual({ held: 50 * 420 });
    // US$0.0001 each: 20 credits; every id settled twice, all at once.
    const usage = { promptTokens: 100, completionTokens: 50, costUsd: 0.0001 };
    const charged = await Promise.all(
      [...ids, ...ids].map((id) =>
        db.tx((tx) => metering.settle(tx, { userId: 'u3', generationId: id, model, usage })),
      ),
    );
    expect(charged.reduce((a, b) => a + b, 0)).toBe(50 * 20);
    expect(await db.one(`SELECT credits, held FROM users WHERE id = 'u3'`)).toEqual({
      credits: 100_000 - 50 * 20,
      held: 0,
    });
    expect(
      await db.one(`SELECT sum(credits)::int AS n, count(*)::int AS rows FROM ledger WHERE user_id = 'u3'`),
    ).toEqual({ n: 100_000 - 50 * 20, rows: 51 });
  });
});
